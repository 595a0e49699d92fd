package experiments

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
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
	// Point holds the sweep grid values written into each record.
	Point map[string]string
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

// OK reports whether the matrix holds exactly the wanted zeros.
func (c ZeroCheck) OK() bool { return c.Zeros == c.Want }

// Result is what Run returns: one summary per variant and seed, in the
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
// or overwritten.
func Run(ctx context.Context, r *Recipe, dir string, opts RunOptions) (*Result, error) {
	plan, err := prepare(r)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, errors.Errorf("experiments: Run: folder %s already exists", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "experiments: Run")
	}
	if err := writeRecipe(filepath.Join(dir, RecipeFile), r); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, errors.Wrap(err, "experiments: Run")
	}
	defer f.Close()
	buf := bufio.NewWriter(f)
	w := NewRecordWriter(buf)

	commit := opts.Commit
	if commit == "" {
		commit = Commit()
	}
	res := &Result{Dir: dir, Recipe: r}
	var records []Record
	total := len(plan.trainers) * r.Steps
	done := 0
	hash := r.Hash()
	for _, t := range plan.trainers {
		name := fmt.Sprintf("%s/seed%d", t.variant.name, t.seed)
		emit := func(rec *Record) error {
			rec.Run, rec.Recipe, rec.RecipeHash, rec.Commit = r.Name+"/"+name, r.Name, hash, commit
			rec.Point = opts.Point
			records = append(records, *rec)
			if opts.Progress != nil {
				opts.Progress(Event{Run: name, Step: rec.Step, Steps: r.Steps, Done: done,
					Total: total, Record: rec})
			}
			return w.Write(rec)
		}
		tick := func(step int) {
			done++
			if opts.Progress != nil {
				opts.Progress(Event{Run: name, Step: step, Steps: r.Steps, Done: done, Total: total})
			}
		}
		start := time.Now()
		if err := t.run(ctx, emit, tick); err != nil {
			buf.Flush()
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

// plan holds everything a run needs, built before anything is written.
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
	return errors.Wrap(os.WriteFile(path, append(data, '\n'), 0o644), "experiments")
}
