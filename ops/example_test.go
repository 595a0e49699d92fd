package ops_test

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
)

// ExamplePenalty adds group lasso and a spectral norm bound to an existing
// loss. Each coefficient is a scalar input node, so writing a new value
// into it changes the penalty's strength on the next run.
func ExamplePenalty() {
	g := gorgonia.NewGraph()
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{3, 4, 0, 0}))))
	loss := gorgonia.Must(gorgonia.Sum(w)) // an existing loss: 7

	groupCoef := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("group_lambda"),
		gorgonia.WithValue(0.1))
	spectralCoef := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("spectral_lambda"),
		gorgonia.WithValue(0.01))
	group, err := ops.Penalty(w, groupCoef, ops.GroupLasso{Axis: 1}) // rows: 5 + 0
	if err != nil {
		fmt.Println(err)
		return
	}
	spectral, err := ops.Penalty(w, spectralCoef, &ops.SpectralNorm{Iters: 20}) // σ₁ = 5
	if err != nil {
		fmt.Println(err)
		return
	}
	cost := gorgonia.Must(gorgonia.Add(loss, gorgonia.Must(gorgonia.Add(group, spectral))))
	if _, err := gorgonia.Grad(cost, w); err != nil {
		fmt.Println(err)
		return
	}

	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	grad, _ := w.Grad()
	fmt.Printf("cost = %.2f\n", cost.Value())
	// The zero row's group lasso gradient is 0, never NaN.
	fmt.Printf("∂cost/∂w = %.3f\n", grad.Data())
	// Output:
	// cost = 7.55
	// ∂cost/∂w = [1.066 1.088 1.000 1.000]
}

// ExampleL1_Prox applies the soft threshold, which sets small weights to
// exactly zero.
func ExampleL1_Prox() {
	w := tensor.New(tensor.WithBacking([]float64{0.3, -0.05, -1.2, 0.08}))
	if err := (ops.L1{}).Prox(w, 0.1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", w.Data())
	// Output:
	// [0.20 0.00 -1.10 0.00]
}

// ExampleGroupLasso_Prox zeroes whole rows whose norm is at most the
// threshold and shrinks the others towards zero.
func ExampleGroupLasso_Prox() {
	w := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{3, 4, 0.3, 0.4, -6, 8}))
	if err := (ops.GroupLasso{Axis: 1}).Prox(w, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", w.Data())
	// Output:
	// [2.40 3.20 0.00 0.00 -5.40 7.20]
}

// ExampleProjectL1Ball projects onto the ball ‖x‖₁ ≤ 2.
func ExampleProjectL1Ball() {
	w := tensor.New(tensor.WithBacking([]float64{3, 1, -2}))
	if err := ops.ProjectL1Ball(w, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", w.Data())
	// Output:
	// [1.50 0.00 -0.50]
}
