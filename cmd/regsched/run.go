package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/schedules"
)

func init() { rootCmd.AddCommand(newRunCmd()) }

// runFlags are the settings of `regsched run` that override the recipe.
type runFlags struct {
	sparsity float64
	schedule string
	steps    int
	seed     uint64
	out      string
	name     string
	png      bool
	allSeeds bool

	checkpoint int
	resume     bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [RECIPE.yaml]",
		Short: "Train the runs of a recipe (the built-in digits pruning job without one)",
		Long: `Run trains every variant and seed of a recipe and writes the run folder
OUT/NAME: recipe.yaml (the recipe as run), metrics.jsonl (one line per
evaluation), summary.json and sparsity-accuracy.svg.

Without a recipe it runs the built-in one: a 64-128-64-10 MLP on the
handwritten digits, dense and then with cubic gradual magnitude pruning to
90% sparsity. Write it out with 'regsched run --print-recipe'.

With --checkpoint N it also writes each run's weights and solver state to
OUT/NAME/checkpoints every N steps. After an interruption, the same command
with --resume continues from the last checkpoints and gives the same
records as an uninterrupted run when the solver is sgd, momentum, adam or
adamw. SIGINT (Ctrl-C) or SIGTERM stops training at the next step, with
metrics.jsonl complete up to there, and prints the command that resumes.
The rmsprop solver is Gorgonia's, whose moments no checkpoint can store,
so a resumed run restarts them from zero and the command warns.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, args, &f)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&f.sparsity, "sparsity", math.NaN(),
		"final sparsity of each pruned weight matrix, in [0, 1)")
	fl.Lookup("sparsity").DefValue = "the recipe's"
	fl.StringVar(&f.schedule, "schedule", "",
		"sparsity schedule spec, for example 'every(50, poly(0, 0.9, 200, 1400))'")
	fl.IntVar(&f.steps, "steps", 0, "optimizer steps per run")
	fl.Uint64Var(&f.seed, "seed", 0, "run this one seed instead of the recipe's seeds")
	fl.StringVar(&f.out, "out", "runs", "folder that receives the run folder")
	fl.StringVar(&f.name, "name", "", "name of the run folder (default: the recipe's name)")
	fl.BoolVar(&f.png, "png", false,
		"also write a report into OUT/NAME/report, with a PNG beside each of its SVG plots")
	fl.IntVar(&f.checkpoint, "checkpoint", 0,
		"write each run's weights and solver state every N steps, a multiple of the "+
			"recipe's eval_every, to OUT/NAME/checkpoints (0: never)")
	fl.BoolVar(&f.resume, "resume", false,
		"continue the interrupted run folder OUT/NAME from its checkpoints, given the same "+
			"recipe and flags as the first time")
	fl.BoolVar(&f.allSeeds, "all-seeds", false,
		"print every evaluation of every seed (default: of the first seed only)")
	fl.Bool("print-recipe", false, "print the recipe with the flags applied, and exit")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

// loadRecipe reads the recipe file, or the built-in one without args.
func loadRecipe(args []string) (*experiments.Recipe, error) {
	if len(args) == 0 {
		return experiments.DefaultRecipe()
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return nil, err
	}
	r, err := experiments.ParseRecipe(args[0], data)
	if err != nil && isReproRecipe(data) {
		return nil, errors.Errorf("%s is a reproduction recipe, so run it with regsched repro %s",
			args[0], args[0])
	}
	return r, err
}

// isReproRecipe reports whether data is a YAML mapping with the key
// "reproduction", which only reproduction recipes have.
func isReproRecipe(data []byte) bool {
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err != nil {
		return false
	}
	_, ok := top["reproduction"]
	return ok
}

// applyRunFlags overrides recipe values by the flags that were set and
// validates each flag's value, naming the flag in every error.
func applyRunFlags(cmd *cobra.Command, r *experiments.Recipe, f *runFlags) error {
	fl := cmd.Flags()
	if fl.Changed("steps") {
		if f.steps < 1 {
			return errors.Errorf("--steps (%d) must be at least 1", f.steps)
		}
		r.Steps = f.steps
	}
	if fl.Changed("seed") {
		r.Seeds = []uint64{f.seed}
	}
	if fl.Changed("name") {
		if !experiments.ValidName(f.name) {
			return errors.Errorf("--name (%q) must start with a letter or digit and contain only "+
				"letters, digits, '.', '_' and '-'", f.name)
		}
		r.Name = f.name
	}
	if fl.Changed("sparsity") || fl.Changed("schedule") {
		if r.Pruning == nil {
			return errors.New("--sparsity and --schedule need a recipe with a pruning section")
		}
	}
	if fl.Changed("sparsity") {
		if !(f.sparsity >= 0 && f.sparsity < 1) {
			return errors.Errorf("--sparsity (%v) is outside [0, 1)", f.sparsity)
		}
		r.Pruning.Sparsity = f.sparsity
	}
	if fl.Changed("schedule") {
		s, err := schedules.Parse(f.schedule)
		if err != nil {
			return errors.Wrapf(err, "--schedule %q", shorten(f.schedule))
		}
		if err := schedules.ValidateSparsity(s, 0, r.Steps-1); err != nil {
			return errors.Wrapf(err, "--schedule %q", shorten(f.schedule))
		}
		p := r.Pruning
		p.Schedule, p.Start, p.End, p.Every, p.Power = f.schedule, 0, 0, 0, 0
		if !fl.Changed("sparsity") {
			p.Sparsity = 0
		}
	}
	return errors.Wrap(r.Validate(), "flags")
}

func runRun(cmd *cobra.Command, args []string, f *runFlags) error {
	r, err := loadRecipe(args)
	if err != nil {
		return usageError{err}
	}
	if err := applyRunFlags(cmd, r, f); err != nil {
		return usageError{err}
	}
	if p, _ := cmd.Flags().GetBool("print-recipe"); p {
		return r.Encode(cmd.OutOrStdout())
	}
	if err := r.CheckDataPath(); err != nil {
		return usageError{err}
	}
	if err := checkOutFolder(f.out); err != nil {
		return usageError{err}
	}

	dir := filepath.Join(f.out, r.Name)
	_, statErr := os.Stat(dir)
	state, stateErr := experiments.InspectRunFolder(r, dir)
	switch {
	case f.checkpoint < 0 || f.checkpoint%r.EvalEvery != 0:
		return usageError{errors.Errorf("--checkpoint (%d) must be 0 (never) or a positive "+
			"multiple of the recipe's eval_every (%d)", f.checkpoint, r.EvalEvery)}
	case f.resume && statErr != nil:
		return usageError{errors.Errorf("--resume: run folder %s not found", dir)}
	case !f.resume && statErr == nil && (stateErr != nil || state != experiments.FolderFailed):
		return usageError{errors.Errorf("run folder %s already exists: pass --name or --out, "+
			"or --resume to continue it", dir)}
	}

	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "recipe %s (hash %s): %d steps, batch %d, seeds %v\n",
		r.Name, r.Hash(), r.Steps, r.BatchSize, r.Seeds)
	if r.Pruning != nil {
		// The recipe was validated, so the spec parses.
		s, err := schedules.Parse(r.Pruning.PruningSchedule())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "pruning schedule: %v\n", s)
		if s.At(r.Steps-1) < r.Pruning.Sparsity {
			fmt.Fprintf(out, "note: the schedule reaches sparsity %.4g at the last step (%d), "+
				"short of pruning.sparsity %.4g, so raise --steps or end the ramp earlier\n",
				s.At(r.Steps-1), r.Steps-1, r.Pruning.Sparsity)
		}
	}

	// SIGINT or SIGTERM stops training at the next step boundary. Run then
	// flushes metrics.jsonl, and the checkpoints on disk are complete.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := newProgress(cmd.ErrOrStderr(), out, r, dir, f.allSeeds)
	res, err := experiments.Run(ctx, r, dir, experiments.RunOptions{
		Progress:        progress.event,
		CheckpointEvery: f.checkpoint,
		Resume:          f.resume,
		Warn: func(msg string) {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", msg)
		},
	})
	progress.finish()
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return stopped(cmd, args, f, progress)
	}
	if err != nil {
		return err
	}

	if err := printSummary(out, res); err != nil {
		return err
	}
	if f.png {
		recs, err := experiments.LoadRecords([]string{dir})
		if err != nil {
			return err
		}
		if err := experiments.WriteReport(filepath.Join(dir, "report"), recs,
			experiments.ReportOptions{PNG: true}); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nwrote %s\n", dir)
	for _, s := range res.Summaries {
		for _, c := range s.Checks {
			if !c.OK() {
				return errors.Errorf("%s: %s contains %d zeros, expected %d", s.Run, c.Layer, c.Zeros, c.Want)
			}
		}
	}
	return nil
}

// stopped prints where an interrupted run stopped and the command that
// resumes it, and returns the error that makes the command exit with
// status 1.
func stopped(cmd *cobra.Command, args []string, f *runFlags, p *progress) error {
	errw := cmd.ErrOrStderr()
	fmt.Fprintf(errw, "\nstopped at step %d of %s. %s contains its evaluations up to there\n",
		p.step, p.current, p.metrics)
	last := 0
	if f.checkpoint > 0 {
		last = p.step - p.step%f.checkpoint
	}
	switch {
	case last > 0:
		fmt.Fprintf(errw, "its last checkpoint is at step %d. Resume from there with:\n", last)
	case f.checkpoint > 0:
		fmt.Fprintf(errw, "it has no checkpoint yet, so a resume restarts it from step 0 "+
			"and keeps the finished runs:\n")
	default:
		fmt.Fprintf(errw, "without --checkpoint no checkpoints were written, so a resume "+
			"restarts it from step 0 and keeps the finished runs:\n")
	}
	fmt.Fprintf(errw, "  %s\n", resumeCommand(cmd, args))
	return errors.New("run interrupted")
}

// resumeCommand returns the command line that resumes the run: the
// recipe, the flags that were set, and --resume.
func resumeCommand(cmd *cobra.Command, args []string) string {
	words := []string{"regsched", "run"}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if fl.Name == "resume" {
			return
		}
		words = append(words, "--"+fl.Name+"="+shellQuote(fl.Value.String()))
	})
	return strings.Join(append(words, "--resume"), " ")
}

// shellQuote quotes s for a POSIX shell unless it contains only
// characters that need no quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"+
		"0123456789-_./:=,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// progress draws a progress bar on errw and the evaluation tables on
// out. Each run of the table seed gets its own table with a row per
// evaluation. Unless allSeeds is set, the runs of the other seeds share
// one table with a row for their final evaluation, because
// metrics.jsonl contains every evaluation anyway.
type progress struct {
	bar       *progressbar.ProgressBar
	errw, out io.Writer
	tableSeed uint64
	allSeeds  bool
	metrics   string // path of metrics.jsonl, named under the final-row table
	run       string // run whose table is open
	others    bool   // whether the table of final rows has its header
	current   string // run of the last event
	step      int    // completed steps of current
	runWidth  int    // width of the run column of the final-row table
}

func newProgress(errw, out io.Writer, r *experiments.Recipe, dir string,
	allSeeds bool) *progress {
	// The longest variant name is "regularized".
	width := len("run")
	for _, seed := range r.Seeds {
		width = max(width, len(fmt.Sprintf("regularized/seed%d", seed)))
	}
	return &progress{errw: errw, out: out, tableSeed: r.Seeds[0], allSeeds: allSeeds,
		metrics: filepath.Join(dir, experiments.MetricsFile), runWidth: width}
}

func (p *progress) event(e experiments.Event) {
	p.current, p.step = e.Run, e.Step
	if p.bar == nil && isTerminal(p.errw) {
		p.bar = progressbar.NewOptions(e.Total,
			progressbar.OptionSetWriter(p.errw),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	switch {
	case e.Record != nil && (p.allSeeds || e.Record.Seed == p.tableSeed):
		p.clearBar()
		p.row(e.Run, e.Record)
	case e.Summary != nil && !p.allSeeds && e.Summary.Seed != p.tableSeed:
		p.clearBar()
		p.finalRow(e.Summary)
	case e.Record == nil && e.Summary == nil && p.bar != nil:
		p.bar.Set(e.Done)
	}
}

// clearBar erases the progress bar, if any, before a table row.
func (p *progress) clearBar() {
	if p.bar != nil {
		p.bar.Clear()
	}
}

// isTerminal reports whether w is a terminal. The progress bar redraws
// itself many times a second, which only a terminal shows as one line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// plural returns n followed by the singular or the plural noun.
func plural(n int, singular, pluralNoun string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, pluralNoun)
}

// controlHeader heads the column of controlValue in both tables.
const controlHeader = "λ or target"

// controlValue returns what drives sparsity: λ of the first penalty
// term, or the pruning schedule's target.
func controlValue(r *experiments.Record) float64 {
	if len(r.Terms) > 0 {
		return r.Terms[0].Lambda
	}
	return r.TargetSparsity
}

// row prints one evaluation of the table seed, opening a new table with
// a heading when the run changes.
func (p *progress) row(run string, r *experiments.Record) {
	if run != p.run {
		p.run = run
		fmt.Fprintf(p.out, "\n%s, seed %d\n%7s %12s %9s %11s %9s\n", r.Variant, r.Seed,
			"step", controlHeader, "sparsity", "train loss", "test acc")
	}
	fmt.Fprintf(p.out, "%7d %12.4g %9.4f %11.4f %9.4f\n", r.Step, controlValue(r), r.Sparsity,
		r.TrainLoss, r.TestAccuracy)
}

// finalRow prints the final evaluation of a run of another seed.
func (p *progress) finalRow(s *experiments.RunSummary) {
	if !p.others {
		p.others = true
		fmt.Fprintf(p.out, "\nother seeds, final evaluation (every evaluation is in %s)\n",
			p.metrics)
		fmt.Fprintf(p.out, "%-*s %7s %12s %9s %11s %9s\n", p.runWidth,
			"run", "step", controlHeader, "sparsity", "train loss", "test acc")
	}
	r := s.Final
	fmt.Fprintf(p.out, "%-*s %7d %12.4g %9.4f %11.4f %9.4f\n", p.runWidth, s.Run, r.Step,
		controlValue(r), r.Sparsity, r.TrainLoss, r.TestAccuracy)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// printSummary writes the side-by-side summary of the variants: mean ±
// sample standard deviation over seeds, and the exact zero checks.
func printSummary(out io.Writer, res *experiments.Result) error {
	var variants []string
	by := map[string][]experiments.RunSummary{}
	for _, s := range res.Summaries {
		if _, ok := by[s.Variant]; !ok {
			variants = append(variants, s.Variant)
		}
		by[s.Variant] = append(by[s.Variant], s)
	}
	fmt.Fprintf(out, "\nfinal evaluation, mean ± sample standard deviation over %s\n",
		plural(len(by[variants[0]]), "seed", "seeds"))
	tw := tabwriter.NewWriter(out, 0, 0, 3, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t\n", strings.Join(variants, "\t"))
	rowf := func(label string, f func(experiments.RunSummary) float64, format string) {
		cells := []string{label}
		for _, v := range variants {
			var xs []float64
			for _, s := range by[v] {
				xs = append(xs, f(s))
			}
			m, sd := experiments.MeanSD(xs)
			cell := fmt.Sprintf(format, m)
			if len(xs) > 1 {
				cell += fmt.Sprintf(" ± "+format, sd)
			}
			cells = append(cells, cell)
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	rowf("test accuracy", func(s experiments.RunSummary) float64 { return s.TestAccuracy }, "%.4f")
	rowf("sparsity", func(s experiments.RunSummary) float64 { return s.Sparsity }, "%.4f")
	rowf("non-zero parameters", func(s experiments.RunSummary) float64 { return float64(s.NonZero) }, "%.0f")
	rowf("all parameters", func(s experiments.RunSummary) float64 { return float64(s.Params) }, "%.0f")
	rowf("train loss", func(s experiments.RunSummary) float64 { return s.TrainLoss }, "%.4f")
	rowf("wall time (s)", func(s experiments.RunSummary) float64 { return s.WallSeconds }, "%.1f")
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range res.Summaries {
		if len(s.Checks) == 0 {
			continue
		}
		var parts []string
		for _, c := range s.Checks {
			mark := "ok"
			if !c.OK() {
				mark = "MISMATCH"
			}
			parts = append(parts, fmt.Sprintf("%s %d of %d zero, %d expected (%s)", c.Layer,
				c.Zeros, c.Size, c.Want, mark))
		}
		fmt.Fprintf(out, "exact zeros, %s at target %.4g: %s\n", s.Run, s.Checks[0].Target,
			strings.Join(parts, ", "))
	}
	return nil
}

// usageArgs wraps a cobra argument check so that its error exits with
// status 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// checkOutFolder returns an error naming --out when out, or the nearest
// of its parents that exists, is not a folder, so that the run folder
// could not be created. It creates nothing.
func checkOutFolder(out string) error {
	if out == "" {
		return errors.New("--out is empty: give the folder that receives the run folders")
	}
	for path := filepath.Clean(out); ; path = filepath.Dir(path) {
		info, err := os.Stat(path)
		if err == nil && !info.IsDir() {
			return errors.Errorf("--out %s cannot be created: %s is not a folder", out, path)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return errors.Wrapf(err, "--out %s", out)
		}
		if parent := filepath.Dir(path); parent == path {
			return nil
		}
	}
}

// shorten cuts s to 80 bytes, marking the cut with "…", so a long flag
// value is not repeated in full in an error message.
func shorten(s string) string {
	if len(s) <= 80 {
		return s
	}
	return strings.ToValidUTF8(s[:80], "") + "…"
}
