package solvers

import (
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// lenet returns the LeNet-300-100 parameters, bound to dual values by one
// run of a graph, and a gradient for each.
func lenet(b *testing.B) (*gorgonia.ExprGraph, gorgonia.Nodes, [][]float32) {
	g := gorgonia.NewGraph()
	shapes := []tensor.Shape{{784, 300}, {300}, {300, 100}, {100}, {100, 10}, {10}}
	names := []string{"w1", "b1", "w2", "b2", "w3", "b3"}
	var params gorgonia.Nodes
	var grads [][]float32
	var cost *gorgonia.Node
	for i, sh := range shapes {
		v := tensor.New(tensor.WithShape(sh...), tensor.WithBacking(randomFloat32s(sh.TotalSize(), uint64(i))))
		n := gorgonia.NewTensor(g, tensor.Float32, len(sh), gorgonia.WithShape(sh...),
			gorgonia.WithName(names[i]), gorgonia.WithValue(v))
		params = append(params, n)
		grads = append(grads, randomFloat32s(sh.TotalSize(), uint64(100+i)))
		s := gorgonia.Must(gorgonia.Sum(n))
		if cost == nil {
			cost = s
		} else {
			cost = gorgonia.Must(gorgonia.Add(cost, s))
		}
	}
	if _, err := gorgonia.Grad(cost, params...); err != nil {
		b.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(params...))
	if err := vm.RunAll(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { vm.Close() })
	return g, params, grads
}

func fillGrads(b *testing.B, params gorgonia.Nodes, grads [][]float32) {
	for i, p := range params {
		g, err := p.Grad()
		if err != nil {
			b.Fatal(err)
		}
		copy(g.(*tensor.Dense).Float32s(), grads[i])
	}
}

// stepper builds the LeNet-300-100 parameters and returns a function that
// copies the gradients in and takes one Step of inner, or of inner
// wrapped as in BenchmarkStep when wrap is set. It takes one step before
// returning, so the moments are allocated and the parameter list is bound.
func stepper(b *testing.B, inner gorgonia.Solver, wrap bool) func() {
	if !wrap {
		return stepperWith(b, inner, nil)
	}
	return stepperWith(b, inner, &wrapParts{l1: true, prune: true})
}

// wrapParts selects the work of the wrapper in a benchmark: proximal L1
// on the first matrix, and magnitude pruning of the three matrices.
type wrapParts struct{ l1, prune bool }

// stepperWith is stepper with the wrapper's work set by parts, or the
// bare inner solver when parts is nil.
func stepperWith(b *testing.B, inner gorgonia.Solver, parts *wrapParts) func() {
	g, params, grads := lenet(b)
	vgs := gorgonia.NodesToValueGrads(params)
	var s gorgonia.Solver = inner
	if parts != nil {
		opts := []Option{WithLearnRate(1e-3)}
		if parts.l1 {
			reg := graphs.NewRegularizer(g)
			if err := reg.Add(params[0], ops.L1{}, constant(1e-4)); err != nil {
				b.Fatal(err)
			}
			opts = append(opts, WithRegularizer(reg))
		}
		if parts.prune {
			opts = append(opts, WithPruningGroup(gorgonia.Nodes{params[0], params[2], params[4]},
				Magnitude{}, ramp{to: 0.9, end: 100000}, UpdateEvery(100)))
		}
		ws, err := Wrap(inner, opts...)
		if err != nil {
			b.Fatal(err)
		}
		s = ws
	}
	step := func() {
		fillGrads(b, params, grads)
		if err := s.Step(vgs); err != nil {
			b.Fatal(err)
		}
	}
	step()
	return step
}

// BenchmarkStep compares one Step of a bare inner Adam with the same Adam
// wrapped, on LeNet-300-100 shapes. The wrapper prunes the three weight
// matrices by magnitude (masks updated every 100 steps towards 90%) and
// applies proximal L1 to the first. "inner" and "wrapped" use this package's Adam,
// which does not allocate; "gorgonia-inner" and "gorgonia-wrapped" use
// Gorgonia's AdamSolver, which allocates in every step. Each iteration
// also copies the gradients in, the same for all.
//
// "ratio" runs one step of each of inner and wrapped per iteration, in
// alternating order, and reports the sum of the wrapped steps' wall times
// over the sum of the inner ones as wrapped/inner. Interleaving the steps
// cancels load that drifts over the run, which separate runs of inner and
// wrapped do not.
//
// On a shared 2-core AMD EPYC with AVX-512 (docs/benchmarks.md), "ratio"
// over 12 processes had median 1.07 and quartiles 1.07 and 1.08, and 1
// of the 12 was above 1.10 (1.105). Load from other jobs moves a single
// run by a few hundredths either way, and about one model in 10 to 15
// runs slowly for its whole life, which moves "inner" or "wrapped" far
// more.
func BenchmarkStep(b *testing.B) {
	run := func(b *testing.B, inner gorgonia.Solver, wrap bool) {
		step := stepper(b, inner, wrap)
		b.ReportAllocs()
		for b.Loop() {
			step()
		}
	}
	b.Run("inner", func(b *testing.B) { run(b, NewAdam(), false) })
	b.Run("wrapped", func(b *testing.B) { run(b, NewAdam(), true) })
	b.Run("ratio", func(b *testing.B) {
		inner, wrapped := stepper(b, NewAdam(), false), stepper(b, NewAdam(), true)
		var tInner, tWrapped time.Duration
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			first, second := inner, wrapped
			if i%2 == 1 {
				first, second = wrapped, inner
			}
			t0 := time.Now()
			first()
			t1 := time.Now()
			second()
			t2 := time.Now()
			if i%2 == 1 {
				tWrapped, tInner = tWrapped+t1.Sub(t0), tInner+t2.Sub(t1)
			} else {
				tInner, tWrapped = tInner+t1.Sub(t0), tWrapped+t2.Sub(t1)
			}
			i++
		}
		b.ReportMetric(float64(tWrapped)/float64(tInner), "wrapped/inner")
	})
	b.Run("gorgonia-inner", func(b *testing.B) {
		run(b, gorgonia.NewAdamSolver(gorgonia.WithLearnRate(1e-3)), false)
	})
	b.Run("gorgonia-wrapped", func(b *testing.B) {
		run(b, gorgonia.NewAdamSolver(gorgonia.WithLearnRate(1e-3)), true)
	})
}

// BenchmarkStepParts splits the cost of the wrapper in BenchmarkStep into
// its parts. Each iteration takes one step of the bare Adam and of four
// wrapped ones, in rotating order: with no work (the gradient check and
// the bookkeeping), with the L1 prox, with pruning, and with both. It
// reports the mean extra time per step of each over the bare step, in
// nanoseconds: "wrap-ns", "l1-ns", "prune-ns" and "full-ns". Pruning
// includes the mask updates, one in 100 steps. Five models in rotation
// leave less of each one's data in the caches than BenchmarkStep does,
// so the extra times come out larger than there.
func BenchmarkStepParts(b *testing.B) {
	steps := []func(){
		stepperWith(b, NewAdam(), nil),
		stepperWith(b, NewAdam(), &wrapParts{}),
		stepperWith(b, NewAdam(), &wrapParts{l1: true}),
		stepperWith(b, NewAdam(), &wrapParts{prune: true}),
		stepperWith(b, NewAdam(), &wrapParts{l1: true, prune: true}),
	}
	names := []string{"", "wrap-ns", "l1-ns", "prune-ns", "full-ns"}
	total := make([]time.Duration, len(steps))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for k := range steps {
			j := (k + n) % len(steps)
			t0 := time.Now()
			steps[j]()
			total[j] += time.Since(t0)
		}
		n++
	}
	for j := 1; j < len(steps); j++ {
		b.ReportMetric(float64(total[j]-total[0])/float64(n), names[j])
	}
}
