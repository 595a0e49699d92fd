package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments"
)

const tinyRecipe = `name: tiny
data: {set: digits, split_seed: 1}
model: {hidden: [16]}
solver: {name: adam, lr: 0.01}
baseline: true
pruning: {sparsity: 0.5, start: 0, end: 10, every: 5}
steps: 20
batch_size: 32
eval_every: 10
seeds: [1]
`

// execute runs a fresh command with args and returns its standard
// output, followed by the error message if any, and the exit status main
// would use. The progress bar on standard error is dropped.
func execute(t *testing.T, cmd *cobra.Command, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		return out.String() + err.Error(), exitCode(err)
	}
	return out.String(), 0
}

// writeRecipe writes src to dir/name and returns the path.
func writeRecipe(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	typo := writeRecipe(t, dir, "typo.yaml", strings.Replace(tinyRecipe, "steps:", "stepz:", 1))
	out := filepath.Join(dir, "runs")
	cases := []struct {
		args []string
		want string // expected substring of the message
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"--sparsity", "abc"}, `invalid argument "abc" for "--sparsity"`},
		{[]string{"--sparsity", "1.5"}, "--sparsity (1.5) is outside [0, 1)"},
		{[]string{"--sparsity", "-0.1"}, "--sparsity (-0.1) is outside [0, 1)"},
		{[]string{"--schedule", "poly(0, 0.9, 100, 50)"}, "schedules: poly: end (50) is before start (100)"},
		{[]string{"--schedule", "linear(0, 1.5, 0, 10)"}, "--schedule"},
		{[]string{"--schedule", "bogus(1)"}, "--schedule"},
		{[]string{"--steps", "0"}, "--steps (0) must be at least 1"},
		{[]string{"--name", "../x"}, `--name ("../x") must start with a letter or digit`},
		{[]string{recipe, "--sparsity", "0.99", "--schedule", "linear(0, 0.5, 0, 10)"},
			"pruning.sparsity (0.99) differs"},
		{[]string{typo}, `typo.yaml:7: unknown key "stepz" in the recipe`},
		{[]string{filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{recipe, recipe}, "accepts at most 1 arg"},
	}
	for _, c := range cases {
		expectUsageError(t, newRunCmd, append(c.args, "--out", out), c.want, out)
	}
}

// expectUsageError runs a fresh command from newCmd with args and checks
// that it exits with status 2, that its message contains want and that
// out was not created.
func expectUsageError(t *testing.T, newCmd func() *cobra.Command, args []string, want, out string) {
	t.Helper()
	msg, code := execute(t, newCmd(), args...)
	if code != 2 {
		t.Errorf("%q: exit status %d, want 2 (output %q)", args, code, msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("%q: message %q, want one containing %q", args, msg, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%q: %s was created", args, out)
	}
}

func TestRunRecipeFile(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	out := filepath.Join(dir, "runs")
	msg, code := execute(t, newRunCmd(), recipe, "--out", out, "--steps", "12", "--sparsity", "0.25",
		"--seed", "7", "--name", "short")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, msg)
	}
	for _, want := range []string{"test accuracy", "sparse/seed7",
		"w0 256 of 1024 zero, 256 expected (ok)", "w1 40 of 160 zero, 40 expected (ok)",
		"pruning schedule: every(5, poly(0, 0.25, 0, 10))\n", "over 1 seed\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
	recs, err := experiments.ReadRecordsFile(filepath.Join(out, "short", experiments.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1]; last.Step != 12 || last.Seed != 7 || last.Sparsity != 0.25 {
		t.Errorf("last record: step %d, seed %d, sparsity %v; want 12, 7, 0.25",
			last.Step, last.Seed, last.Sparsity)
	}

	// The same name again is a usage error that leaves the folder alone.
	if msg, code := execute(t, newRunCmd(), recipe, "--out", out, "--name", "short"); code != 2 ||
		!strings.Contains(msg, "already exists") {
		t.Errorf("rerun: exit status %d, message %q", code, msg)
	}
}

func TestRunTables(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", strings.Replace(tinyRecipe, "seeds: [1]", "seeds: [1, 2]", 1))
	cases := []struct {
		args      []string
		want, not []string // substrings the output must and must not contain
	}{
		{[]string{"--name", "first"},
			[]string{"dense, seed 1\n   step  λ or target", "sparse, seed 1\n",
				"     10       0.4375    0.4375", "other seeds, final evaluation",
				"run                  step  λ or target",
				"dense/seed2            20", "sparse/seed2           20          0.5    0.5000",
				"mean ± sample standard deviation over 2 seeds"},
			[]string{"dense, seed 2", "sparse/seed2           10", "\nsparse/seed1 ", "note:"}},
		{[]string{"--name", "short", "--steps", "8"},
			[]string{"note: the schedule reaches sparsity 0.4375 at the last step (7), short of " +
				"pruning.sparsity 0.5"},
			nil},
		{[]string{"--name", "all", "--all-seeds"},
			[]string{"dense, seed 1\n", "sparse, seed 2\n"},
			[]string{"other seeds"}},
	}
	for i, c := range cases {
		msg, code := execute(t, newRunCmd(), append([]string{recipe, "--out", dir}, c.args...)...)
		if code != 0 {
			t.Fatalf("case %d: exit status %d: %s", i, code, msg)
		}
		for _, want := range c.want {
			if !strings.Contains(msg, want) {
				t.Errorf("case %d: output lacks %q:\n%s", i, want, msg)
			}
		}
		for _, not := range c.not {
			if strings.Contains(msg, not) {
				t.Errorf("case %d: output contains %q:\n%s", i, not, msg)
			}
		}
	}
}

func TestRunPrintRecipe(t *testing.T) {
	msg, code := execute(t, newRunCmd(), "--print-recipe", "--steps", "77")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, msg)
	}
	r, err := experiments.ParseRecipe("printed.yaml", []byte(msg))
	if err != nil {
		t.Fatalf("printed recipe does not parse: %v\n%s", err, msg)
	}
	if r.Steps != 77 || r.Name != "digits-gmp" {
		t.Errorf("printed recipe has steps %d and name %s, want 77 and digits-gmp", r.Steps, r.Name)
	}
}

// sweepShardRuns lists, for each way of choosing a shard, the extra
// arguments and environment of shard 0 and shard 1 of two.
var sweepShardRuns = []struct {
	name string
	args [2][]string
	env  [2]map[string]string
}{
	{"flag", [2][]string{{"--shard", "0/2"}, {"--shard", "1/2"}}, [2]map[string]string{}},
	{"slurm", [2][]string{},
		[2]map[string]string{
			{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"},
			{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}}},
	{"indexed", [2][]string{{"--shard-count", "2"}, {"--shard-count", "2"}},
		[2]map[string]string{{"JOB_COMPLETION_INDEX": "0"}, {"JOB_COMPLETION_INDEX": "1"}}},
}

func TestSweepShardsAndReport(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(tinyRecipe, "steps: 20", "steps: 10", 1)
	src = strings.Replace(src, "baseline: true", "baseline: false", 1)
	recipe := writeRecipe(t, dir, "tiny.yaml", src)
	grid := []string{"--grid", "solver.lr=0.01,0.003", "--grid", "pruning.sparsity=0.5,0.7"}
	pointLine := regexp.MustCompile(`(?m)^point (\d) \(`)

	for _, c := range sweepShardRuns {
		out := filepath.Join(dir, c.name)
		ran := make([]int, 4) // how often each point ran
		for shard := range 2 {
			for _, k := range []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
				"JOB_COMPLETION_INDEX"} {
				t.Setenv(k, c.env[shard][k])
				if c.env[shard][k] == "" {
					os.Unsetenv(k) // t.Setenv restores it after the test
				}
			}
			args := append([]string{recipe, "--out", out}, grid...)
			msg, code := execute(t, newSweepCmd(), append(args, c.args[shard]...)...)
			want := fmt.Sprintf("4 points, shard %d/2 runs 2", shard)
			if code != 0 || !strings.Contains(msg, want) {
				t.Fatalf("%s shard %d: exit status %d, want 0 and %q: %s", c.name, shard, code, want, msg)
			}
			for _, m := range pointLine.FindAllStringSubmatch(msg, -1) {
				k, _ := strconv.Atoi(m[1])
				ran[k]++
			}
		}
		if !slices.Equal(ran, []int{1, 1, 1, 1}) {
			t.Errorf("%s: points ran %v times, want each once", c.name, ran)
		}
		for k := range 4 {
			pointDir := experiments.PointDir(filepath.Join(out, "tiny"), k)
			if _, err := os.Stat(filepath.Join(pointDir, experiments.SummaryFile)); err != nil {
				t.Errorf("%s: point %d has no summary: %v", c.name, k, err)
			}
		}

		report := filepath.Join(dir, c.name+"-report")
		msg, code := execute(t, newReportCmd(), filepath.Join(out, "tiny"), "--out", report)
		if code != 0 {
			t.Fatalf("%s: report: exit status %d: %s", c.name, code, msg)
		}
		md, err := os.ReadFile(filepath.Join(report, experiments.ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		wants := []string{"from 4 run groups"}
		for _, sp := range []string{"0.5", "0.7"} {
			for _, lr := range []string{"0.01", "0.003"} {
				wants = append(wants, fmt.Sprintf("| sparse pruning.sparsity=%s solver.lr=%s | 1 |", sp, lr))
			}
		}
		for _, want := range wants {
			if !strings.Contains(string(md), want) {
				t.Errorf("%s: report lacks %q", c.name, want)
			}
		}
	}

	// Running a finished shard again skips its points.
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	msg, _ := execute(t, newSweepCmd(), append([]string{recipe, "--out", filepath.Join(dir, "indexed"),
		"--shard-count", "2"}, grid...)...)
	if strings.Count(msg, "done before, skipped") != 2 {
		t.Errorf("rerun of shard 1 did not skip its 2 points:\n%s", msg)
	}

	// Bad sweep input is a usage error.
	bad := []struct {
		args []string
		want string // expected substring of the message
	}{
		{[]string{recipe, "--grid", "solver.lr"}, "--grid"},
		{[]string{recipe, "--grid", "solver.lrr=1"}, `unknown key "lrr" in solver`},
		{[]string{recipe, "--shard", "2/2"}, "--shard"},
		// JOB_COMPLETION_INDEX is still set.
		{[]string{recipe, "--shard-count", "0"},
			"JOB_COMPLETION_INDEX is set (1) but --shard-count (0) is not"},
	}
	for _, c := range bad {
		out := filepath.Join(dir, "bad")
		expectUsageError(t, newSweepCmd, append(c.args, "--out", out), c.want, out)
	}
}

// runTiny runs the tiny recipe for 10 steps into DIR/runs/tiny, where
// DIR is a new temporary folder, and returns DIR and DIR/runs.
func runTiny(t *testing.T) (dir, runs string) {
	t.Helper()
	dir = t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", strings.Replace(tinyRecipe, "steps: 20", "steps: 10", 1))
	runs = filepath.Join(dir, "runs")
	if msg, code := execute(t, newRunCmd(), recipe, "--out", runs); code != 0 {
		t.Fatalf("run: exit status %d: %s", code, msg)
	}
	return dir, runs
}

func TestReportMarkdownName(t *testing.T) {
	dir, runs := runTiny(t)
	cases := []struct {
		markdown string
		code     int
		want     string // expected substring of the output
	}{
		{"README.md", 0, "README.md"},
		{"notes/README.md", 2, `--markdown "notes/README.md" must be a file name without a folder`},
		{"", 2, `--markdown "" must be a file name`},
	}
	for i, c := range cases {
		out := filepath.Join(dir, fmt.Sprintf("report%d", i))
		msg, code := execute(t, newReportCmd(), filepath.Join(runs, "tiny"), "--out", out,
			"--markdown", c.markdown)
		if code != c.code {
			t.Errorf("case %d: exit status %d, want %d (%s)", i, code, c.code, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("case %d: output %q, want one containing %q", i, msg, c.want)
		}
		if c.code == 0 {
			if _, err := os.Stat(filepath.Join(out, c.markdown)); err != nil {
				t.Errorf("case %d: %v", i, err)
			}
		} else if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("case %d: %s was created", i, out)
		}
	}
}

func TestRunCheckpointAndResume(t *testing.T) {
	dir := t.TempDir()
	rms := strings.Replace(tinyRecipe, "name: adam", "name: rmsprop", 1)
	recipes := map[string]string{
		"adam":    writeRecipe(t, dir, "adam.yaml", tinyRecipe),
		"rmsprop": writeRecipe(t, dir, "rms.yaml", rms),
	}
	out := filepath.Join(dir, "runs")
	cases := []struct {
		recipe  string
		args    []string
		code    int
		message string // in the output or the error
		warning bool   // standard error warns about restarted moments
	}{
		{"adam", []string{"--checkpoint", "15"}, 2, "multiple of the recipe's eval_every", false},
		{"adam", []string{"--resume"}, 2, "not found", false},
		{"adam", []string{"--checkpoint", "10"}, 0, "wrote", false},
		{"adam", nil, 2, "--resume to continue it", false},
		{"adam", []string{"--resume", "--checkpoint", "10"}, 0, "wrote", false},
		{"rmsprop", []string{"--checkpoint", "10", "--name", "rms"}, 0, "wrote", true},
		{"rmsprop", []string{"--resume", "--name", "rms"}, 0, "wrote", true},
	}
	for i, c := range cases {
		var stdout, stderr bytes.Buffer
		cmd := newRunCmd()
		cmd.SetArgs(append([]string{recipes[c.recipe], "--out", out}, c.args...))
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		msg, code := stdout.String(), 0
		if err != nil {
			msg, code = msg+err.Error(), exitCode(err)
		}
		if code != c.code || !strings.Contains(msg, c.message) {
			t.Errorf("case %d (%s %v): exit status %d, output %q; want %d and %q",
				i, c.recipe, c.args, code, msg, c.code, c.message)
		}
		warned := strings.Contains(stderr.String(), "warning: inner solver \"rmsprop\"")
		if warned != c.warning {
			t.Errorf("case %d (%s %v): warning printed %v, want %v; standard error %q",
				i, c.recipe, c.args, warned, c.warning, stderr.String())
		}
	}
	ckpt := filepath.Join(out, "tiny", experiments.CheckpointDir, "sparse-seed1.ckpt")
	if _, err := os.Stat(ckpt); err != nil {
		t.Errorf("no checkpoint after --checkpoint 10: %v", err)
	}
}

func TestRunStopPrintsResumeCommand(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	out := filepath.Join(dir, "runs")

	// A cancelled context replaces SIGINT or SIGTERM, which cancel
	// the command's context the same way.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	cmd := newRunCmd()
	cmd.SetArgs([]string{recipe, "--out", out, "--checkpoint", "10"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(ctx)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("error %v, want one with exit status 1", err)
	}
	resume := "regsched run " + recipe + " --checkpoint=10 --out=" + out + " --resume"
	for _, want := range []string{"stopped at step 0 of dense/seed1",
		"no checkpoint yet", resume} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("standard error %q lacks %q", stderr.String(), want)
		}
	}

	words := strings.Fields(resume)[2:]
	if got, code := execute(t, newRunCmd(), words...); code != 0 || !strings.Contains(got, "wrote") {
		t.Errorf("resume command: exit status %d, output %q", code, got)
	}
}

func TestRunTablesRegularized(t *testing.T) {
	penalty := strings.Replace(tinyRecipe, "pruning: {sparsity: 0.5, start: 0, end: 10, every: 5}",
		"penalties: [{params: weights, term: l1, mode: proximal, schedule: \"constant(0.01)\"}]", 1)
	penalty = strings.Replace(penalty, "seeds: [1]", "seeds: [1, 12]", 1)
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "penalty.yaml", penalty)
	msg, code := execute(t, newRunCmd(), recipe, "--out", dir)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, msg)
	}
	// The run column fits "regularized/seed12", 18 characters.
	for _, want := range []string{"regularized, seed 1\n   step  λ or target",
		"\nrun                   step  λ or target", "\nregularized/seed12      20 ",
		"\ndense/seed12            20 "} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
}

func TestRunStderrWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	var stdout, stderr bytes.Buffer
	cmd := newRunCmd()
	cmd.SetArgs([]string{recipe, "--out", dir})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	// A buffer is not a terminal, so no progress bar is drawn.
	if stderr.Len() != 0 {
		t.Errorf("standard error %q, want it empty", stderr.String())
	}
}

func TestRunHelpDefaults(t *testing.T) {
	usage := newRunCmd().Flags().FlagUsages()
	for _, want := range []string{"(default the recipe's)", "with a PNG beside each of its SVG plots"} {
		if !strings.Contains(usage, want) {
			t.Errorf("flag help lacks %q:\n%s", want, usage)
		}
	}
	if strings.Contains(usage, "NaN") {
		t.Errorf("flag help shows NaN:\n%s", usage)
	}
}

func TestReportMetricsFileAndOut(t *testing.T) {
	dir, runs := runTiny(t)
	metrics := filepath.Join(runs, "tiny", experiments.MetricsFile)
	if msg, code := execute(t, newReportCmd(), metrics); code != 0 {
		t.Fatalf("report of a metrics file: exit status %d: %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(runs, "tiny", "report", experiments.ReportFile)); err != nil {
		t.Errorf("report of a metrics file: %v", err)
	}

	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	msg, code := execute(t, newReportCmd(), metrics, "--out", file)
	if code != 2 {
		t.Errorf("--out a file: exit status %d, want 2 (%s)", code, msg)
	}
	if !strings.Contains(msg, "--out "+file+" exists and is not a folder") {
		t.Errorf("--out a file: output %q", msg)
	}
	msg, code = execute(t, newReportCmd(), metrics, "--out", filepath.Join(file, "report"))
	if code != 2 || !strings.Contains(msg, "cannot be created: "+file+" is not a folder") {
		t.Errorf("--out under a file: exit status %d, output %q", code, msg)
	}
}

func TestSweepStoppedPointResumes(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(tinyRecipe, "baseline: true", "baseline: false", 1)
	recipe := writeRecipe(t, dir, "tiny.yaml", src)
	args := []string{recipe, "--out", dir, "--grid", "solver.lr=0.01,0.003", "--checkpoint", "10"}

	// A cancelled context replaces SIGINT, so point 0 stops at step 0.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := newSweepCmd()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "sweep interrupted at step 0 of sparse/seed1 "+
		"in point 0. Run the same command with --resume") {
		t.Fatalf("stopped sweep: error %v", err)
	}

	pointDir := experiments.PointDir(filepath.Join(dir, "tiny"), 0)
	msg, code := execute(t, newSweepCmd(), args...)
	for _, want := range []string{"point 0: folder " + pointDir + " exists without summary.json",
		"--resume to continue it", "delete the folder"} {
		if code != 1 || !strings.Contains(msg, want) {
			t.Errorf("rerun without --resume: exit status %d, message %q; want 1 and %q",
				code, msg, want)
		}
	}

	if msg, code := execute(t, newSweepCmd(), append(args, "--resume")...); code != 0 {
		t.Fatalf("rerun with --resume: exit status %d: %s", code, msg)
	}
	for k := range 2 {
		path := filepath.Join(experiments.PointDir(filepath.Join(dir, "tiny"), k),
			experiments.SummaryFile)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("point %d after --resume: %v", k, err)
		}
	}
}

func TestSweepChangedRecipeRejected(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(tinyRecipe, "baseline: true", "baseline: false", 1)
	recipe := writeRecipe(t, dir, "tiny.yaml", src)
	args := []string{recipe, "--out", dir, "--grid", "solver.lr=0.01"}
	if msg, code := execute(t, newSweepCmd(), args...); code != 0 {
		t.Fatalf("first sweep: exit status %d: %s", code, msg)
	}
	if msg, code := execute(t, newSweepCmd(), args...); code != 0 ||
		!strings.Contains(msg, "done before, skipped") {
		t.Errorf("same sweep again: exit status %d, output %q; want 0 and a skipped point", code, msg)
	}

	pointDir := experiments.PointDir(filepath.Join(dir, "tiny"), 0)
	changed := [][]string{
		{recipe, "--out", dir, "--grid", "solver.lr=0.02"},
		{writeRecipe(t, dir, "tiny.yaml", strings.Replace(src, "steps: 20", "steps: 30", 1)),
			"--out", dir, "--grid", "solver.lr=0.01"},
	}
	for i, args := range changed {
		msg, code := execute(t, newSweepCmd(), args...)
		for _, want := range []string{pointDir, "the recipe or the grid changed", "pick another --name"} {
			if code == 0 || !strings.Contains(msg, want) {
				t.Errorf("case %d: exit status %d, output %q; want an error containing %q",
					i, code, msg, want)
			}
		}
	}
}

func TestRunOutAndDataErrors(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	fashion := writeRecipe(t, dir, "fashion.yaml", strings.Replace(tinyRecipe,
		"data: {set: digits, split_seed: 1}",
		"data: {set: fashion_mnist, path: "+filepath.Join(dir, "none")+"}", 1))
	file := writeRecipe(t, dir, "file", "")
	cases := []struct {
		args []string
		out  string // the folder that must not be created
		want string // expected substring of the message
	}{
		{[]string{recipe, "--out", file}, filepath.Join(dir, "x"), "--out " + file + " cannot be created: " +
			file + " is not a folder"},
		{[]string{recipe, "--out", filepath.Join(file, "sub")}, filepath.Join(dir, "x"),
			"is not a folder"},
		{[]string{recipe, "--out", ""}, filepath.Join(dir, "x"), "--out is empty"},
		{[]string{recipe, "--out", filepath.Join(dir, "o1"), "--checkpoint", "-1"}, filepath.Join(dir, "o1"),
			"--checkpoint (-1) must be 0 (never) or a positive multiple of the recipe's eval_every (10)"},
		{[]string{fashion, "--out", filepath.Join(dir, "o2")}, filepath.Join(dir, "o2"),
			"data.path (\"" + filepath.Join(dir, "none") + "\") is not a folder"},
	}
	for _, c := range cases {
		expectUsageError(t, newRunCmd, c.args, c.want, c.out)
	}
}

func TestSweepShardSettingErrors(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	out := filepath.Join(dir, "runs")
	cases := []struct {
		env  map[string]string // "" unsets
		args []string
		want string
	}{
		{nil, []string{"--shard-count", "-2"}, "--shard-count (-2) must be positive"},
		{nil, []string{"--shard-count", "2"}, "--shard-count needs JOB_COMPLETION_INDEX"},
		{map[string]string{"JOB_COMPLETION_INDEX": " "}, []string{"--shard-count", "2"},
			"JOB_COMPLETION_INDEX is set but empty"},
		{map[string]string{"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "0",
			"SLURM_ARRAY_TASK_COUNT": "2"}, []string{"--shard-count", "2"},
			"both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set"},
		{nil, []string{"--grid", "name=a,b"}, "name is not a grid key"},
		{nil, []string{"--grid", "solver.lr=0.1,0.1"}, `has the value "0.1" twice`},
		{nil, []string{"--out", ""}, "--out is empty"},
		{nil, []string{"--checkpoint", "-1"}, "--checkpoint (-1) must be 0 (never) or a positive multiple"},
	}
	for i, c := range cases {
		for _, k := range []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"} {
			v, ok := c.env[k]
			t.Setenv(k, v)
			if !ok {
				os.Unsetenv(k) // t.Setenv restores it after the test
			}
		}
		args := append([]string{recipe, "--out", out}, c.args...)
		msg, code := execute(t, newSweepCmd(), args...)
		if code != 2 || !strings.Contains(msg, c.want) {
			t.Errorf("case %d: exit status %d, message %q; want 2 and %q", i, code, msg, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created", out)
	}
}

func TestInputMessages(t *testing.T) {
	dir := t.TempDir()
	repro := writeRecipe(t, dir, "repro.yaml", "reproduction: lasso-path\nname: x\n")
	garbage := writeRecipe(t, dir, "garbage.yaml", "name: x\nsteps: \xff\xfe\n")
	types := writeRecipe(t, dir, "types.yaml", strings.Replace(tinyRecipe, "seeds: [1]", "seeds: [a, b, c]", 1))
	long := "linear(0, 1, 0, " + strings.Repeat("1", 500) + ")"
	cases := []struct {
		args    []string
		want    string // expected substring of the message
		notWant string // substring the message must not contain, "" for none
	}{
		{[]string{repro}, repro + " is a reproduction recipe, so run it with regsched repro " + repro, ""},
		{[]string{garbage}, garbage + ":2: not valid UTF-8 text", ""},
		{[]string{types}, `types.yaml:10: seeds: invalid value "a" (want a non-negative integer)`, `"b"`},
		{[]string{writeRecipe(t, dir, "long.yaml", strings.Replace(tinyRecipe, "every: 5}",
			"every: 5, schedule: \""+long+"\"}", 1))}, "pruning.schedule", strings.Repeat("1", 100)},
	}
	for i, c := range cases {
		out := filepath.Join(dir, "runs")
		expectUsageError(t, newRunCmd, append(c.args, "--out", out), c.want, out)
		if c.notWant != "" {
			if msg, _ := execute(t, newRunCmd(), append(c.args, "--out", out)...); strings.Contains(msg, c.notWant) {
				t.Errorf("case %d: message %q contains %q", i, msg, c.notWant)
			}
		}
	}
}

func TestRunAfterFailureStartsOver(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "tiny.yaml", tinyRecipe)
	r, err := experiments.ParseRecipe(recipe, []byte(tinyRecipe))
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "runs", "tiny")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := r.Encode(&text); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{experiments.RecipeFile: text.String(),
		experiments.MetricsFile: "", experiments.FailedFile: "disk full\n"} {
		if err := os.WriteFile(filepath.Join(runDir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if msg, code := execute(t, newRunCmd(), recipe, "--out", filepath.Join(dir, "runs")); code != 0 {
		t.Fatalf("rerun after a failure: exit status %d: %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(runDir, experiments.FailedFile)); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", experiments.FailedFile, err)
	}

	// Without the marker the folder may belong to a run still going.
	if err := os.Remove(filepath.Join(runDir, experiments.SummaryFile)); err != nil {
		t.Fatal(err)
	}
	msg, code := execute(t, newRunCmd(), recipe, "--out", filepath.Join(dir, "runs"))
	if code != 2 || !strings.Contains(msg, "already exists") {
		t.Errorf("rerun without a failure marker: exit status %d, output %q", code, msg)
	}
}
