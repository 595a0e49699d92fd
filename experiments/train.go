package experiments

import (
	"context"
	"math"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// evaluator computes the loss and accuracy of the current weights on a
// whole split, in its own graph whose batch is the split.
type evaluator struct {
	set    *datasets.Set
	mlp    *graphs.MLP
	vm     gorgonia.VM
	loss   gorgonia.Value
	logits gorgonia.Value
}

func newEvaluator(r *Recipe, set *datasets.Set, classes int) (*evaluator, error) {
	g := gorgonia.NewGraph()
	mlp, err := graphs.NewMLP(g, graphs.MLPConfig{
		Sizes: r.sizes(set.Features, classes),
		Dtype: tensor.Float64,
		Batch: set.Rows,
	})
	if err != nil {
		return nil, err
	}
	e := &evaluator{set: set, mlp: mlp}
	gorgonia.Read(mlp.Loss, &e.loss)
	gorgonia.Read(mlp.Logits, &e.logits)
	x := tensor.New(tensor.WithShape(set.Rows, set.Features), tensor.WithBacking(set.X))
	y := tensor.New(tensor.WithShape(set.Rows, classes),
		tensor.WithBacking(oneHot(set.Y, classes)))
	if err := gorgonia.Let(mlp.X, x); err != nil {
		return nil, err
	}
	if err := gorgonia.Let(mlp.Y, y); err != nil {
		return nil, err
	}
	e.vm = gorgonia.NewTapeMachine(g)
	return e, nil
}

// evaluate copies params into the evaluation graph and returns the mean
// loss and the accuracy on the split.
func (e *evaluator) evaluate(params gorgonia.Nodes) (loss, accuracy float64, err error) {
	for i, p := range e.mlp.Params() {
		copy(p.Value().Data().([]float64), params[i].Value().Data().([]float64))
	}
	defer e.vm.Reset()
	if err := e.vm.RunAll(); err != nil {
		return 0, 0, errors.Wrap(err, "experiments: evaluating")
	}
	loss = e.loss.Data().(float64)
	return loss, accuracyOf(e.logits.Data().([]float64), e.set.Y), nil
}

// accuracyOf returns the share of rows whose largest logit is at the
// label. Ties go to the lowest class index.
func accuracyOf(logits []float64, labels []float64) float64 {
	classes := len(logits) / len(labels)
	var right int
	for i, y := range labels {
		row := logits[i*classes : (i+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == int(y) {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

// oneHot returns an n×classes row-major matrix with a 1 at each label.
func oneHot(labels []float64, classes int) []float64 {
	out := make([]float64, len(labels)*classes)
	for i, y := range labels {
		out[i*classes+int(y)] = 1
	}
	return out
}

// trainer runs one variant and seed of a recipe.
type trainer struct {
	recipe      *Recipe
	variant     variant
	seed        uint64
	model       *model
	train, test *evaluator
	data        *datasets.Set
	classes     int

	x, y   []float64 // backing arrays of the batch tensors
	xt, yt tensor.Tensor
}

// window accumulates the solver's per-step metrics between two records.
type window struct {
	last      *solvers.Metrics
	flips     map[string]int // mask entries changed, per parameter
	updates   int            // steps that updated or regrew masks
	decisions []schedules.Decision
}

// Record implements solvers.Recorder. It copies what it keeps, because
// the solver reuses m.
func (w *window) Record(m *solvers.Metrics) {
	if w.flips == nil {
		w.flips = map[string]int{}
	}
	// NOTE: a parameter's Flips is its last mask update's count, so with
	// several pruning groups on different cadences a step that updates
	// one group also counts the others' earlier flips again.
	if m.MaskUpdated {
		w.updates++
		for _, p := range m.Params {
			w.flips[p.Name] += p.Flips
		}
	}
	w.decisions = append(w.decisions, m.Decisions...)
	last := *m
	last.Params = append([]solvers.ParamMetrics(nil), m.Params...)
	last.Terms = append([]solvers.TermMetrics(nil), m.Terms...)
	last.Decisions = nil
	w.last = &last
}

// step runs one minibatch: Let → RunAll → Step → Reset. Examples are
// drawn in a fresh permutation each epoch, seeded by the run's seed and
// the epoch number, and the last incomplete batch of an epoch is dropped.
func (t *trainer) step(k int, perm *[]int) error {
	b := t.recipe.BatchSize
	perEpoch := t.data.Rows / b
	epoch, pos := k/perEpoch, k%perEpoch
	if pos == 0 || *perm == nil {
		*perm = datasets.Permutation(t.data.Rows, t.seed*1_000_003+uint64(epoch))
	}
	for i := 0; i < b; i++ {
		row := (*perm)[pos*b+i]
		copy(t.x[i*t.data.Features:(i+1)*t.data.Features], t.data.Row(row))
		yrow := t.y[i*t.classes : (i+1)*t.classes]
		for c := range yrow {
			yrow[c] = 0
		}
		yrow[t.data.Label(row)] = 1
	}
	m := t.model
	if err := gorgonia.Let(m.mlp.X, t.xt); err != nil {
		return err
	}
	if err := gorgonia.Let(m.mlp.Y, t.yt); err != nil {
		return err
	}
	if err := m.vm.RunAll(); err != nil {
		return errors.Wrapf(err, "experiments: step %d: forward and backward pass", k)
	}
	if err := m.solver.Step(gorgonia.NodesToValueGrads(m.params)); err != nil {
		return errors.Wrapf(err, "experiments: step %d", k)
	}
	m.vm.Reset()
	return nil
}

// record evaluates the model after `step` completed steps and resets
// the metrics window.
func (t *trainer) record(step int, start time.Time) (*Record, error) {
	m := t.model
	rec := &Record{Variant: t.variant.name, Seed: t.seed, Step: step}
	var err error
	if rec.TrainLoss, rec.TrainAccuracy, err = t.train.evaluate(m.params); err != nil {
		return nil, err
	}
	if rec.TestLoss, rec.TestAccuracy, err = t.test.evaluate(m.params); err != nil {
		return nil, err
	}
	rec.Time = time.Since(start).Seconds()

	w := &m.window
	last := w.last
	params := map[string]*solvers.ParamMetrics{}
	if last != nil {
		rec.LearnRate = last.LearnRate
		for i := range last.Params {
			params[last.Params[i].Name] = &last.Params[i]
		}
	} else {
		rec.LearnRate = m.learnRate(0)
	}

	measured := make(map[*gorgonia.Node]bool)
	for _, node := range m.measured {
		measured[node] = true
	}
	var zeros, size int
	var gradSq float64
	for _, node := range m.mlp.Weights {
		data := node.Value().Data().([]float64)
		l := LayerRecord{
			Name:       node.Name(),
			Size:       len(data),
			Zeros:      countZeros(data),
			WeightNorm: norm(data),
			MaskFlips:  w.flips[node.Name()],
			Histogram:  NewHistogram(data),
		}
		l.Sparsity = float64(l.Zeros) / float64(l.Size)
		_, l.Pruned = m.pruned[node.Name()]
		if pm := params[node.Name()]; pm != nil {
			l.GradNorm = pm.GradNorm
			if l.Pruned {
				l.TargetSparsity = pm.Target
			}
		}
		if measured[node] {
			zeros += l.Zeros
			size += l.Size
			rec.TargetSparsity += l.TargetSparsity * float64(l.Size)
		}
		rec.MaskFlips += l.MaskFlips
		gradSq += l.GradNorm * l.GradNorm
		rec.Layers = append(rec.Layers, l)
	}
	rec.Sparsity = float64(zeros) / float64(size)
	rec.TargetSparsity /= float64(size)
	rec.GradNorm = math.Sqrt(gradSq)
	rec.MaskUpdates = w.updates

	for _, p := range m.params {
		data := p.Value().Data().([]float64)
		rec.Params += len(data)
		rec.NonZero += len(data) - countZeros(data)
	}
	for i, ti := range m.terms {
		v, err := ti.term.Value(ti.w.Value().(tensor.Tensor))
		if err != nil {
			return nil, errors.Wrapf(err, "experiments: penalty %s", ti.name)
		}
		tr := TermRecord{Name: ti.name, Lambda: ti.sched.At(0), Multiplier: 1, Value: v}
		if last != nil && i < len(last.Terms) {
			tr.Lambda = last.Terms[i].Lambda
		}
		if a, ok := ti.sched.(interface{ M() float64 }); ok {
			tr.Multiplier = a.M()
		}
		rec.Terms = append(rec.Terms, tr)
	}
	rec.Decisions = w.decisions
	*w = window{last: w.last}

	m.observe(rec)
	return rec, nil
}

// observe passes an evaluation to the solver, whose adaptive policies may
// read it after the next step.
func (m *model) observe(rec *Record) {
	m.solver.Observe("val_acc", rec.TestAccuracy)
	m.solver.Observe("val_loss", rec.TestLoss)
	m.solver.Observe("train_loss", rec.TrainLoss)
	m.solver.Observe("train_acc", rec.TrainAccuracy)
}

// run trains from step from to the recipe's steps, calling emit after
// each evaluation, save (when not nil) after each evaluation, and tick
// after each step. A run resumed at from > 0 has its record at from
// already. It stops early, with ctx's error, when ctx is cancelled.
func (t *trainer) run(ctx context.Context, from int, emit func(*Record) error, tick func(int),
	save func(int) error) error {
	start := time.Now()
	r := t.recipe
	var perm []int
	for step := from; ; step++ {
		evaluate := step == 0 || step%r.EvalEvery == 0 || step == r.Steps
		if evaluate && (step > from || from == 0) {
			rec, err := t.record(step, start)
			if err != nil {
				return err
			}
			if err := emit(rec); err != nil {
				return err
			}
			if save != nil && step > 0 {
				if err := save(step); err != nil {
					return err
				}
			}
		}
		if step == r.Steps {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := t.step(step, &perm); err != nil {
			return err
		}
		if tick != nil {
			tick(step + 1)
		}
	}
}

func countZeros(x []float64) int {
	var n int
	for _, v := range x {
		if v == 0 {
			n++
		}
	}
	return n
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}
