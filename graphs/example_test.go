package graphs_test

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
)

// Example shows the change that gives an existing model a scheduled
// penalty: the loss gains the penalty nodes through a Regularizer, and
// between steps the solver writes λ(t) with SetCoefficient.
func Example() {
	g := gorgonia.NewGraph()
	w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithBacking([]float64{1, -2, 3}))))
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(w)))) // ‖w‖² = 14

	// The two added lines: register λ(t)·½‖w‖² and augment the loss.
	reg := graphs.NewRegularizer(g)
	if err := reg.Add(w, ops.L2{}, schedules.Linear{From: 0.5, To: 1, Start: 0, End: 10}); err != nil {
		fmt.Println(err)
		return
	}
	cost, err := reg.Augment(loss)
	if err != nil {
		fmt.Println(err)
		return
	}

	if _, err := gorgonia.Grad(cost, w); err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	defer vm.Close()
	for _, step := range []int{0, 10} {
		e := reg.Entries()[0]
		if err := reg.SetCoefficient(0, e.Schedule.At(step)); err != nil {
			fmt.Println(err)
			return
		}
		if err := vm.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("step %d: λ = %.2f, cost = %.2f\n", step, e.Schedule.At(step), cost.Value())
		vm.Reset()
	}
	// Output:
	// step 0: λ = 0.50, cost = 17.50
	// step 10: λ = 1.00, cost = 21.00
}

// ExampleRegularizer_Add adds group lasso and a spectral norm bound to an
// existing two-layer network. Group lasso on the first weight's rows acts
// through the proximal step by default, so only the spectral norm enters
// the loss.
func ExampleRegularizer_Add() {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, graphs.MLPConfig{Sizes: []int{4, 3, 2}, Batch: 2, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}

	reg := graphs.NewRegularizer(g)
	// Axis 1: the norm runs along each row, so each input is one group.
	if err := reg.Add(m.Weights[0], ops.GroupLasso{Axis: 1}, schedules.Constant{Value: 1e-3}); err != nil {
		fmt.Println(err)
		return
	}
	sn := &ops.SpectralNorm{Iters: 2}
	if err := reg.Add(m.Weights[1], sn, schedules.Constant{Value: 1e-2}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := reg.Augment(m.Loss); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range reg.Entries() {
		fmt.Printf("%s: %v on %s, coefficient node %t\n", e.Mode, e.Term, e.W.Name(), e.Coef != nil)
	}
	// Output:
	// proximal: GroupLasso{Axis:1} on w0, coefficient node false
	// gradient: SpectralNorm{Iters:2} on w1, coefficient node true
}

// ExampleCheckGradient checks a network's gradients in a unit test.
func ExampleCheckGradient() {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, graphs.MLPConfig{Sizes: []int{3, 4, 2}, Batch: 2, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{0.5, -1, 2, 1, 0, -0.5}))
	y := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 0, 0, 1}))
	if err := gorgonia.Let(m.X, x); err != nil {
		fmt.Println(err)
		return
	}
	if err := gorgonia.Let(m.Y, y); err != nil {
		fmt.Println(err)
		return
	}

	rep, err := graphs.CheckGradient(m.Loss, m.Params(), graphs.WithTolerance(1e-6))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ok=%t, %d elements checked, max error below 1e-6: %t\n",
		rep.OK, rep.Checked, rep.MaxError < 1e-6)
	// Output:
	// ok=true, 26 elements checked, max error below 1e-6: true
}

// ExampleNewSensitivityProbe measures how much a linear model's output
// moves per unit of input perturbation. For f(x) = x·W with W = 2·I every
// ratio is exactly 2.
func ExampleNewSensitivityProbe() {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, graphs.MLPConfig{Sizes: []int{2, 2}, Batch: 3,
		Loss: graphs.MeanSquaredError, NoBias: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	copy(m.Weights[0].Value().Data().([]float64), []float64{2, 0, 0, 2})
	x := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	if err := gorgonia.Let(m.X, x); err != nil {
		fmt.Println(err)
		return
	}

	p, err := graphs.NewSensitivityProbe(m.Output, m.X, graphs.SensitivityConfig{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	s, err := p.Measure()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mean %.4f, max %.4f over %d ratios\n", s.Mean, s.Max, s.Ratios)
	// Output:
	// mean 2.0000, max 2.0000 over 12 ratios
}
