package main

import (
	"bytes"
	"os"
	"path/filepath"
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

// execute runs a fresh command with args and returns its output and
// the exit status main would use.
func execute(t *testing.T, cmd *cobra.Command, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		return out.String() + err.Error(), exitCode(err)
	}
	return out.String(), 0
}

func TestRunBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	recipe := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(recipe, []byte(tinyRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte(strings.Replace(tinyRecipe, "steps:", "stepz:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
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
		{[]string{"--name", "../x"}, `name ("../x")`},
		{[]string{recipe, "--sparsity", "0.99", "--schedule", "linear(0, 0.5, 0, 10)"},
			"pruning.sparsity (0.99) differs"},
		{[]string{typo}, `typo.yaml:7: unknown key "stepz" in the recipe`},
		{[]string{filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{recipe, recipe}, "accepts at most 1 arg"},
	}
	for i, c := range cases {
		msg, code := execute(t, newRunCmd(), append(c.args, "--out", out)...)
		if code != 2 {
			t.Errorf("case %d: exit status %d, want 2 (output %q)", i, code, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("case %d: message %q, want one containing %q", i, msg, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("case %d: %s was created", i, out)
		}
	}
}

func TestRunRecipeFile(t *testing.T) {
	dir := t.TempDir()
	recipe := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(recipe, []byte(tinyRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	msg, code := execute(t, newRunCmd(), recipe, "--out", out, "--steps", "12", "--sparsity", "0.25",
		"--seed", "7", "--name", "short")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, msg)
	}
	for _, want := range []string{"test accuracy", "sparse/seed7", "w0 256/256 zeros (ok)",
		"w1 40/40 zeros (ok)"} {
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

func TestSweepShardsAndReport(t *testing.T) {
	dir := t.TempDir()
	recipe := filepath.Join(dir, "tiny.yaml")
	src := strings.Replace(tinyRecipe, "steps: 20", "steps: 10", 1)
	src = strings.Replace(src, "baseline: true", "baseline: false", 1)
	if err := os.WriteFile(recipe, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	grid := []string{"--grid", "solver.lr=0.01,0.003", "--grid", "pruning.sparsity=0.5,0.7"}

	// Shard 0 of 2 from the flag, shard 1 of 2 from Slurm's variables.
	msg, code := execute(t, newSweepCmd(), append([]string{recipe, "--out", out, "--shard", "0/2"}, grid...)...)
	if code != 0 || !strings.Contains(msg, "4 points, shard 0/2 runs 2") {
		t.Fatalf("shard 0: exit status %d: %s", code, msg)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	msg, code = execute(t, newSweepCmd(), append([]string{recipe, "--out", out}, grid...)...)
	if code != 0 || !strings.Contains(msg, "4 points, shard 1/2 runs 2") {
		t.Fatalf("shard 1: exit status %d: %s", code, msg)
	}
	for k := 0; k < 4; k++ {
		if _, err := os.Stat(filepath.Join(experiments.PointDir(filepath.Join(out, "tiny"), k),
			experiments.SummaryFile)); err != nil {
			t.Errorf("point %d did not run: %v", k, err)
		}
	}
	// Running shard 1 again skips its finished points.
	msg, _ = execute(t, newSweepCmd(), append([]string{recipe, "--out", out}, grid...)...)
	if strings.Count(msg, "done before, skipped") != 2 {
		t.Errorf("rerun of shard 1 did not skip its 2 points:\n%s", msg)
	}

	report := filepath.Join(dir, "report")
	msg, code = execute(t, newReportCmd(), filepath.Join(out, "tiny"), "--out", report)
	if code != 0 {
		t.Fatalf("report: exit status %d: %s", code, msg)
	}
	md, err := os.ReadFile(filepath.Join(report, experiments.ReportFile))
	if err != nil || !strings.Contains(string(md), "from 4 run groups") {
		t.Errorf("report does not merge 4 points: %v", err)
	}

	// Bad sweep input is a usage error.
	for i, args := range [][]string{
		{recipe, "--grid", "solver.lr"},
		{recipe, "--grid", "solver.lrr=1"},
		{recipe, "--shard", "2/2"},
	} {
		if msg, code := execute(t, newSweepCmd(), append(args, "--out", out)...); code != 2 {
			t.Errorf("bad case %d: exit status %d, want 2 (%s)", i, code, msg)
		}
	}
}
