package experiments

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/solvers"
)

// File names inside a run folder.
const (
	RecipeFile  = "recipe.yaml"   // the recipe as run, defaults filled in
	MetricsFile = "metrics.jsonl" // one Record per evaluation
	SummaryFile = "summary.json"  // one RunSummary per variant and seed
	PlotFile    = "sparsity-accuracy.svg"
)

// Event is a progress notice sent to RunOptions.Progress. Exactly one of
// Record and Summary is set, or neither for a step notice.
type Event struct {
	Run     string      // "<variant>/seed<k>"
	Step    int         // completed steps of this run
	Steps   int         // steps of this run
	Done    int         // completed steps over every run of the call
	Total   int         // steps over every run of the call
	Record  *Record     // set after each evaluation
	Summary *RunSummary // set when a run ends
}

// RunOptions configures Run. The zero value runs silently and records
// the commit found by Commit.
type RunOptions struct {
	// Progress, when set, receives an Event after every step, every
	// evaluation and every finished run. It runs on the training
	// goroutine, so a slow callback slows training.
	Progress func(Event)
	// Commit overrides the source revision written into each record.
	Commit string
	// Point is the sweep grid values written into each record.
	Point map[string]string
	// CheckpointEvery, when positive, makes Run write the weights and the
	// solver state of each variant and seed to CheckpointDir every
	// CheckpointEvery steps and at the end. It must be a multiple of the
	// recipe's eval_every, so that a checkpoint falls on an evaluation.
	// MetricsFile is flushed and synced before each checkpoint is written,
	// so that a killed run can resume from its last checkpoint.
	CheckpointEvery int
	// Resume continues an interrupted Run in its existing folder, which
	// must contain the same recipe. Each variant and seed restarts from its
	// last checkpoint, or from step 0 without one, and the records after
	// that checkpoint are dropped from MetricsFile. With a Gorgonia inner
	// solver the moments restart from zero (see Warn). Wall times count
	// the resumed part only.
	Resume bool
	// Warn, when set, receives warnings that do not stop the run, such as
	// a checkpoint that cannot store the inner solver's moments.
	Warn func(msg string)
}

// RunSummary is the outcome of one variant and seed.
type RunSummary struct {
	Run          string        `json:"run"`
	Variant      string        `json:"variant"`
	Seed         uint64        `json:"seed"`
	Steps        int           `json:"steps"`
	WallSeconds  float64       `json:"wall_s"`
	TrainLoss    float64       `json:"train_loss"`
	TestAccuracy float64       `json:"test_accuracy"`
	Sparsity     float64       `json:"sparsity"`
	NonZero      int           `json:"nonzero"`
	Params       int           `json:"params"`
	Checks       []ZeroCheck   `json:"zero_checks,omitzero"`
	Final        *Record       `json:"-"`
	Wall         time.Duration `json:"-"`
}

// ZeroCheck compares a pruned matrix's exact zeros at the end of a run
// with the number its final target sparsity s gives: round(s·n) for n
// weights, halves rounded away from zero, or the equivalent count of
// whole units under structured pruning.
type ZeroCheck struct {
	Layer  string  `json:"layer"`
	Size   int     `json:"size"`
	Target float64 `json:"target_sparsity"`
	Want   int     `json:"want_zeros"`
	Zeros  int     `json:"zeros"`
}

// OK reports whether the matrix contains exactly the expected zeros.
func (c ZeroCheck) OK() bool { return c.Zeros == c.Want }

// Result is the outcome of Run: one summary per variant and seed, in the
// order they ran (seed by seed, dense first).
type Result struct {
	Dir       string
	Recipe    *Recipe
	Summaries []RunSummary
}

// Run trains every variant and seed of a validated recipe and writes
// the run folder dir: RecipeFile, MetricsFile, SummaryFile and the SVG
// plots of WriteRunPlots. The data set is loaded and every model is
// built before dir is created, so a recipe that cannot run writes
// nothing. An existing folder is an error, so results are never mixed
// or overwritten, except a folder of the same recipe that contains
// FailedFile: it is removed and the run starts over. A failure while
// training or writing the results (other than a cancelled ctx) writes
// FailedFile into dir. A failed resume check leaves dir as it was.
func Run(ctx context.Context, r *Recipe, dir string, opts RunOptions) (result *Result, err error) {
	if opts.CheckpointEvery < 0 || opts.CheckpointEvery%r.EvalEvery != 0 {
		return nil, errors.Errorf("experiments: Run: checkpoint interval (%d steps) must be 0 or "+
			"a positive multiple of eval_every (%d)", opts.CheckpointEvery, r.EvalEvery)
	}

	plan, err := prepare(r)
	if err != nil {
		return nil, err
	}

	var old []Record
	if opts.Resume {
		if old, err = resumeFolder(r, dir); err != nil {
			return nil, err
		}
	} else if err := newFolder(r, dir); err != nil {
		return nil, err
	}
	if opts.CheckpointEvery > 0 || opts.Resume {
		warnUncheckpointed(plan, opts.Warn)
	}

	from := make([]int, len(plan.trainers))
	if opts.Resume {
		if from, old, err = resumeTrainers(plan, dir, old); err != nil {
			return nil, err
		}
		err := os.Remove(filepath.Join(dir, FailedFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, errors.Wrap(err, "experiments: resume")
		}
	}

	// From here on, a failure other than a cancellation marks the folder,
	// so that running the same recipe again can start it over.
	defer func() {
		if err != nil && !errors.Is(err, context.Canceled) {
			err = markFailed(dir, err)
		}
	}()

	metrics := filepath.Join(dir, MetricsFile)
	f, err := os.OpenFile(metrics, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "experiments: Run")
	}
	defer f.Close()
	buf := bufio.NewWriter(f)
	w := NewRecordWriter(buf)
	// sync puts every record written so far on disk. It runs before each
	// checkpoint, so that a checkpoint never gets ahead of the records it
	// needs on resume, and when the run stops early.
	sync := func() error {
		if err := buf.Flush(); err != nil {
			return errors.Wrapf(err, "experiments: Run: writing %s", metrics)
		}
		return errors.Wrapf(f.Sync(), "experiments: Run: syncing %s", metrics)
	}

	commit := opts.Commit
	if commit == "" {
		commit = Commit()
	}
	res := &Result{Dir: dir, Recipe: r}
	var records []Record
	total := len(plan.trainers) * r.Steps
	done := 0
	hash := r.Hash()
	for i, t := range plan.trainers {
		name := fmt.Sprintf("%s/seed%d", t.variant.name, t.seed)
		note := func(rec *Record) {
			records = append(records, *rec)
			if opts.Progress != nil {
				opts.Progress(Event{Run: name, Step: rec.Step, Steps: r.Steps, Done: done,
					Total: total, Record: rec})
			}
		}
		emit := func(rec *Record) error {
			rec.Run, rec.Recipe, rec.RecipeHash = r.Name+"/"+name, r.Name, hash
			rec.Commit = commit
			rec.Point = opts.Point
			note(rec)
			return w.Write(rec)
		}
		tick := func(step int) {
			done++
			if opts.Progress != nil {
				opts.Progress(Event{Run: name, Step: step, Steps: r.Steps, Done: done, Total: total})
			}
		}

		// The records kept from before a resume are in the file already.
		var last *Record
		for j := range old {
			if old[j].Run == r.Name+"/"+name {
				last = &old[j]
				note(last)
			}
		}
		if last != nil {
			t.model.observe(last)
		}
		done += from[i]

		var save func(int) error
		if opts.CheckpointEvery > 0 {
			path := checkpointPath(dir, t)
			save = func(step int) error {
				if step%opts.CheckpointEvery != 0 && step != r.Steps {
					return nil
				}
				if err := sync(); err != nil {
					return err
				}
				return t.saveCheckpoint(path, step)
			}
		}

		start := time.Now()
		if err := t.run(ctx, from[i], emit, tick, save); err != nil {
			if serr := sync(); serr != nil {
				return nil, serr
			}
			return nil, err
		}
		s := t.summary(name, records[len(records)-1], time.Since(start))
		res.Summaries = append(res.Summaries, s)
		if opts.Progress != nil {
			opts.Progress(Event{Run: name, Step: r.Steps, Steps: r.Steps, Done: done,
				Total: total, Summary: &s})
		}
	}

	if err := buf.Flush(); err != nil {
		return nil, errors.Wrap(err, "experiments: Run")
	}
	if err := f.Close(); err != nil {
		return nil, errors.Wrap(err, "experiments: Run")
	}
	if err := writeJSON(filepath.Join(dir, SummaryFile), res.Summaries); err != nil {
		return nil, err
	}
	if err := WriteRunPlots(dir, records); err != nil {
		return nil, err
	}
	return res, nil
}

// newFolder creates the run folder dir with its RecipeFile. An existing
// folder is an error, unless it contains a failed run of the same recipe
// (see FailedFile), which is removed to start over.
func newFolder(r *Recipe, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		state, err := InspectRunFolder(r, dir)
		if err != nil || state != FolderFailed {
			return errors.Errorf("experiments: Run: folder %s already exists", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return errors.Wrap(err, "experiments: Run")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "experiments: Run")
	}
	return writeRecipe(filepath.Join(dir, RecipeFile), r)
}

// resumeFolder checks that dir contains r and returns the records written
// so far.
func resumeFolder(r *Recipe, dir string) ([]Record, error) {
	path := filepath.Join(dir, RecipeFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "experiments: resume")
	}
	saved, err := ParseRecipe(path, data)
	if err != nil {
		return nil, errors.Wrap(err, "experiments: resume")
	}
	if saved.Hash() != r.Hash() {
		return nil, errors.Errorf("experiments: resume: %s contains recipe %s (hash %s), not "+
			"%s (hash %s), so resume with the same recipe and flags", path, saved.Name,
			saved.Hash(), r.Name, r.Hash())
	}
	metrics := filepath.Join(dir, MetricsFile)
	data, err = os.ReadFile(metrics)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "experiments: resume")
	}
	return readIntactRecords(data), nil
}

// readIntactRecords parses JSON Lines up to the first line that is not a
// whole record. A run killed while writing leaves such a torn tail, which
// the checkpoints do not cover, so resumeTrainers drops it. A damaged
// line before a checkpoint's record makes that record missing, which
// resumeTrainers reports.
func readIntactRecords(data []byte) []Record {
	var out []Record
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			break
		}
		line := bytes.TrimSpace(data[:end])
		data = data[end+1:]
		if len(line) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			break
		}
		out = append(out, rec)
	}
	return out
}

// warnUncheckpointed warns once when an inner solver's moments cannot be
// checkpointed.
func warnUncheckpointed(p *plan, warn func(string)) {
	if warn == nil {
		return
	}
	for _, t := range p.trainers {
		if !t.model.solver.InnerCheckpointed() {
			warn(fmt.Sprintf("inner solver %q keeps its moments in unexported fields, so "+
				"checkpoints do not store them: a resumed run restarts them from zero and "+
				"differs from an uninterrupted one. Use sgd, momentum, adam or adamw for "+
				"exact resumes", t.recipe.Solver.Name))
			return
		}
	}
}

// resumeTrainers loads the checkpoint of each trainer of p, if any, and
// returns the step each restarts from and the records of old that the
// checkpoints cover. It rewrites MetricsFile atomically to contain only
// those, dropping the records a stopped run wrote after its last
// checkpoint.
func resumeTrainers(p *plan, dir string, old []Record) ([]int, []Record, error) {
	metrics := filepath.Join(dir, MetricsFile)
	from := make([]int, len(p.trainers))
	steps := map[string]int{} // run name in the records → checkpoint step
	for i, t := range p.trainers {
		step, err := t.loadCheckpoint(checkpointPath(dir, t))
		if err != nil && !errors.Is(err, errNoCheckpoint) {
			return nil, nil, err
		}
		from[i] = step
		steps[fmt.Sprintf("%s/%s/seed%d", t.recipe.Name, t.variant.name, t.seed)] = step
	}

	var kept []Record
	last := map[string]int{} // run name → step of its last kept record
	for _, rec := range old {
		step, ok := steps[rec.Run]
		if !ok || rec.Step > step || step == 0 {
			continue
		}
		kept = append(kept, rec)
		last[rec.Run] = rec.Step
	}

	for run, step := range steps {
		if step > 0 && last[run] != step {
			return nil, nil, errors.Errorf("experiments: resume: %s has no record of %s at "+
				"step %d, where its checkpoint is, so delete the checkpoint to restart that run",
				metrics, run, step)
		}
	}

	if _, err := os.Stat(metrics); errors.Is(err, fs.ErrNotExist) && len(kept) == 0 {
		return from, nil, nil // Run creates the file when it writes the first record
	}
	err := solvers.WriteFileAtomic(metrics, func(w io.Writer) error {
		rw := NewRecordWriter(w)
		for i := range kept {
			if err := rw.Write(&kept[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, errors.Wrap(err, "experiments: resume")
	}
	return from, kept, nil
}

// plan is everything a run needs, built before anything is written.
type plan struct {
	trainers []*trainer
}

// prepare loads the data and builds every model of the recipe.
func prepare(r *Recipe) (*plan, error) {
	train, test, err := LoadData(r.Data)
	if err != nil {
		return nil, err
	}
	if r.BatchSize > train.Rows {
		return nil, errors.Errorf("experiments: batch_size (%d) is larger than the %d training examples",
			r.BatchSize, train.Rows)
	}
	classes := train.Classes
	trainEval, err := newEvaluator(r, train, classes)
	if err != nil {
		return nil, err
	}
	testEval, err := newEvaluator(r, test, classes)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	for _, seed := range r.Seeds {
		for _, v := range r.variants() {
			t, err := newTrainer(r, v, seed, train, classes)
			if err != nil {
				return nil, errors.Wrapf(err, "experiments: %s", r.Name)
			}
			t.train, t.test = trainEval, testEval
			p.trainers = append(p.trainers, t)
		}
	}
	return p, nil
}

func newTrainer(r *Recipe, v variant, seed uint64, data *datasets.Set, classes int) (*trainer, error) {
	m, err := buildModel(r, v, seed, data.Features, classes)
	if err != nil {
		return nil, err
	}
	t := &trainer{
		recipe:  r,
		variant: v,
		seed:    seed,
		model:   m,
		data:    data,
		classes: classes,
		x:       make([]float64, r.BatchSize*data.Features),
		y:       make([]float64, r.BatchSize*classes),
	}
	t.xt = tensor.New(tensor.WithShape(r.BatchSize, data.Features), tensor.WithBacking(t.x))
	t.yt = tensor.New(tensor.WithShape(r.BatchSize, classes), tensor.WithBacking(t.y))
	return t, nil
}

// summary condenses the final record and checks the exact zero count of
// every pruned matrix.
func (t *trainer) summary(name string, final Record, wall time.Duration) RunSummary {
	s := RunSummary{
		Run:          name,
		Variant:      t.variant.name,
		Seed:         t.seed,
		Steps:        t.recipe.Steps,
		WallSeconds:  wall.Seconds(),
		Wall:         wall,
		TrainLoss:    final.TrainLoss,
		TestAccuracy: final.TestAccuracy,
		Sparsity:     final.Sparsity,
		NonZero:      final.NonZero,
		Params:       final.Params,
		Final:        &final,
	}
	for i, l := range final.Layers {
		if !l.Pruned {
			continue
		}
		shape := t.model.mlp.Weights[i].Shape()
		s.Checks = append(s.Checks, ZeroCheck{
			Layer:  l.Name,
			Size:   l.Size,
			Target: l.TargetSparsity,
			Want:   wantZeros(t.model.structure, shape[0], shape[1], l.TargetSparsity),
			Zeros:  l.Zeros,
		})
	}
	return s
}

func writeRecipe(path string, r *Recipe) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "experiments")
	}
	if err := r.Encode(f); err != nil {
		f.Close()
		return err
	}
	return errors.Wrap(f.Close(), "experiments")
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return errors.Wrap(err, "experiments")
	}
	return writeFileAtomic(path, append(data, '\n'))
}
