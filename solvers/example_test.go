package solvers_test

import (
	"bytes"
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/solvers"
)

// linearSchedule goes from 0 at step 0 to to at step end.
type linearSchedule struct {
	to  float64
	end int
}

func (l linearSchedule) At(t int) float64 {
	if t >= l.end {
		return l.to
	}
	return l.to * float64(t) / float64(l.end)
}

// tinyModel is a least-squares fit of an 8×4 weight.
func tinyModel() (*gorgonia.ExprGraph, *gorgonia.Node, gorgonia.VM) {
	g := gorgonia.NewGraph()
	xs := make([]float64, 6*8)
	for i := range xs {
		xs[i] = float64(i%5) - 2
	}
	ws := make([]float64, 8*4)
	for i := range ws {
		ws[i] = float64(i%7)/7 - 0.4
	}
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(6, 8), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(6, 8), tensor.WithBacking(xs))))
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(8, 4), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(8, 4), tensor.WithBacking(ws))))
	loss := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(gorgonia.Must(gorgonia.Mul(x, w))))))
	if _, err := gorgonia.Grad(loss, w); err != nil {
		panic(err)
	}
	return g, w, gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
}

// ExampleWrap prunes a weight gradually to 75% sparsity under Adam: the
// inner solver is wrapped, and the training loop stays as it was.
func ExampleWrap() {
	_, w, vm := tinyModel()
	defer vm.Close()

	s, err := solvers.Wrap(gorgonia.NewAdamSolver(),
		solvers.WithLearnRate(0.01),
		solvers.WithPruning(w, solvers.Magnitude{}, linearSchedule{to: 0.75, end: 20}))
	if err != nil {
		fmt.Println(err)
		return
	}
	params := gorgonia.NodesToValueGrads(gorgonia.Nodes{w})
	for step := 0; step < 30; step++ {
		if err := vm.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		if err := s.Step(params); err != nil {
			fmt.Println(err)
			return
		}
		vm.Reset()
		if step%10 == 0 || step == 29 {
			m := s.Metrics()
			fmt.Printf("step %2d: target %.3f, sparsity %.3f (%d of %d zero)\n",
				m.Step, m.Params[0].Target, m.Params[0].Sparsity, m.Params[0].Zeros, m.Params[0].Size)
		}
	}
	// Output:
	// step  0: target 0.000, sparsity 0.000 (0 of 32 zero)
	// step 10: target 0.375, sparsity 0.375 (12 of 32 zero)
	// step 20: target 0.750, sparsity 0.750 (24 of 32 zero)
	// step 29: target 0.750, sparsity 0.750 (24 of 32 zero)
}

// ExampleSolver_Save saves the solver's state and restores it into a
// solver built the same way.
func ExampleSolver_Save() {
	_, w, vm := tinyModel()
	defer vm.Close()
	s, _ := solvers.Wrap(solvers.NewAdam(), solvers.WithLearnRate(0.01),
		solvers.WithPruning(w, solvers.Magnitude{}, linearSchedule{to: 0.5, end: 4}))
	params := gorgonia.NodesToValueGrads(gorgonia.Nodes{w})
	for step := 0; step < 5; step++ {
		_ = vm.RunAll()
		_ = s.Step(params)
		vm.Reset()
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		fmt.Println(err)
		return
	}

	_, w2, vm2 := tinyModel()
	defer vm2.Close()
	resumed, _ := solvers.Wrap(solvers.NewAdam(), solvers.WithLearnRate(0.01),
		solvers.WithPruning(w2, solvers.Magnitude{}, linearSchedule{to: 0.5, end: 4}))
	if err := resumed.Load(&buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resumed at step", resumed.Steps(), "with inner state:", resumed.InnerCheckpointed())
	// Output:
	// resumed at step 5 with inner state: true
}

// ExampleSelectSmallest marks the k smallest scores, ties to the lower
// index.
func ExampleSelectSmallest() {
	scores := []float64{0.5, 0.1, 0.3, 0.1, 0.9}
	pruned := make([]bool, len(scores))
	solvers.SelectSmallest(scores, 3, make([]float64, len(scores)), pruned)
	fmt.Println(pruned)
	// Output:
	// [false true true true false]
}
