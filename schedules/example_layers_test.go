package schedules_test

import (
	"fmt"
	"math"

	"github.com/regsched/regsched/schedules"
)

// Example puts the three layers of a scheduled penalty together on a toy
// problem, the proximal gradient method for ½‖w − c‖² + λ(t)·‖w‖₁.
func Example() {
	// Layer 1, the base term R(w) = ‖w‖₁. It acts through its proximal
	// step, soft thresholding, which makes exact zeros. Package ops contains
	// the real terms.
	proxL1 := func(w []float64, threshold float64) {
		for i, v := range w {
			w[i] = 0
			if a := math.Abs(v) - threshold; a > 0 {
				w[i] = math.Copysign(a, v)
			}
		}
	}

	// Layer 2, the multiplier: λ warms up from 0 to 0.1 over 4 steps.
	base := schedules.Linear{From: 0, To: 0.1, Start: 0, End: 4}

	// Layer 3, the policy: a PI controller moves m in λ = base(t)·m so
	// that half of the weights are zero.
	lambda := &schedules.Track{Base: base, Signal: "sparsity",
		Target: schedules.Constant{Value: 0.5}, Kp: 1, Ki: 0.5,
		Bounds: schedules.Bounds{Init: 1, Min: 0.1, Max: 10}}

	c := []float64{0.05, -0.1, 0.2, 0.3, -0.8, 1.6}
	w := make([]float64, len(c))
	const rate = 0.5
	for step := 0; step < 8; step++ {
		for i := range w {
			w[i] -= rate * (w[i] - c[i]) // gradient step on ½‖w − c‖²
		}
		strength := lambda.At(step)
		proxL1(w, rate*strength)
		zeros := 0
		for _, v := range w {
			if v == 0 {
				zeros++
			}
		}
		sparsity := float64(zeros) / float64(len(w))
		lambda.Update(step, map[string]float64{"sparsity": sparsity})
		fmt.Printf("step %d: λ %.4f, sparsity %.2f, next m %.3f\n", step, strength,
			sparsity, lambda.M())
	}
	fmt.Printf("w = %.3f\n", w)
	// Output:
	// step 0: λ 0.0000, sparsity 0.00, next m 2.117
	// step 1: λ 0.0529, sparsity 0.00, next m 2.718
	// step 2: λ 0.1359, sparsity 0.17, next m 2.718
	// step 3: λ 0.2039, sparsity 0.33, next m 2.501
	// step 4: λ 0.2501, sparsity 0.50, next m 2.117
	// step 5: λ 0.2117, sparsity 0.50, next m 2.117
	// step 6: λ 0.2117, sparsity 0.50, next m 2.117
	// step 7: λ 0.2117, sparsity 0.50, next m 2.117
	// w = [0.000 0.000 0.000 0.089 -0.587 1.384]
}
