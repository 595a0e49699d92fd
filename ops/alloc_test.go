package ops_test

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
)

// allocFreeTerms are the terms whose Prox, Value and AddGrad allocate
// nothing once a first call has sized the pooled scratch. The shape of
// the test tensor is (4, 3, 5).
var allocFreeTerms = []ops.ProxTerm{
	ops.L1{},
	ops.L2{},
	ops.ElasticNet{L1Ratio: 0.5},
	ops.GroupLasso{Axis: 1},
	ops.GroupLasso{Axis: -1},
	ops.GroupLasso{Axes: []int{1, 2}},
	ops.NonNegative{},
	ops.Box{Lo: -0.5, Hi: 0.5},
	ops.MaxNorm{Max: 1, Axis: 2},
	ops.L1Ball{Radius: 2}, // w is outside the ball, so θ is found by sorting
}

// restore copies the elements of src into dst, both of dtype dt.
func restore(dt tensor.Dtype, dst, src *tensor.Dense) {
	if dt == tensor.Float32 {
		copy(dst.Float32s(), src.Float32s())
		return
	}
	copy(dst.Float64s(), src.Float64s())
}

func TestTermsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled scratch at random")
	}
	shape := []int{4, 3, 5}
	values := make([]float64, 60)
	for i := range values {
		values[i] = float64(i%11)/4 - 1.25
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for i, term := range allocFreeTerms {
			w := dense(dt, shape, values)
			orig := dense(dt, shape, values)
			grad := dense(dt, shape, make([]float64, len(values)))
			prox := func() {
				restore(dt, w, orig) // so that every call does the same work
				if err := term.Prox(w, 0.3); err != nil {
					t.Fatalf("%v case %d (%v): Prox: %v", dt, i, term, err)
				}
			}
			value := func() {
				if _, err := term.Value(orig); err != nil {
					t.Fatalf("%v case %d (%v): Value: %v", dt, i, term, err)
				}
			}
			addGrad := func() {
				if err := term.AddGrad(orig, grad, 0.1); err != nil {
					t.Fatalf("%v case %d (%v): AddGrad: %v", dt, i, term, err)
				}
			}
			for _, c := range []struct {
				method string
				call   func()
			}{{"Prox", prox}, {"Value", value}, {"AddGrad", addGrad}} {
				c.call() // warm-up: sizes the pooled scratch
				if allocs := testing.AllocsPerRun(100, c.call); allocs != 0 {
					t.Errorf("%v case %d (%v): %s allocates %v times per call, want 0",
						dt, i, term, c.method, allocs)
				}
			}
		}
	}
}

// TestTermErrorMessages checks that errors name the term with its
// settings, which the terms format only when they return an error.
func TestTermErrorMessages(t *testing.T) {
	w := dense(tensor.Float64, []int{2, 2}, []float64{1, 2, 3, 4})
	w32 := dense(tensor.Float32, []int{2, 2}, []float64{1, 2, 3, 4})
	cases := []struct {
		err  error
		want string
	}{
		{(ops.L1{}).Prox(w, -1),
			"ops: L1: threshold t (-1) must be finite and non-negative"},
		{(ops.ElasticNet{L1Ratio: 0.5}).Prox(w, -1),
			"ops: ElasticNet{L1Ratio:0.5}: threshold t (-1) must be finite and non-negative"},
		{(ops.ElasticNet{L1Ratio: 0.5}).Prox(nil, 1),
			"ops: ElasticNet{L1Ratio:0.5}: w is nil"},
		{(ops.GroupLasso{Axis: 1}).Prox(w, -2),
			"ops: GroupLasso{Axis:1}: threshold t (-2) must be finite and non-negative"},
		{(ops.GroupLasso{Axis: 2}).Prox(w, 1),
			"ops: GroupLasso{Axis:2}: axis 2 is out of range for shape (2, 2)"},
		{(ops.GroupLasso{Axes: []int{0, -2}}).Prox(w, 1),
			"ops: GroupLasso{Axes:[0 -2]}: axis -2 is repeated"},
		{(ops.GroupLasso{Axis: 1}).AddGrad(w, w32, 1),
			"ops: GroupLasso{Axis:1}: grad has dtype float32, expected w's dtype float64"},
		{(ops.Box{Lo: -1, Hi: 1}).Prox(w, -1),
			"ops: Box{Lo:-1 Hi:1}: threshold t (-1) must be finite and non-negative"},
		{(ops.MaxNorm{Max: 1, Axis: 0}).Prox(w, -1),
			"ops: MaxNorm{Max:1 Axis:0}: threshold t (-1) must be finite and non-negative"},
		{(ops.L1Ball{Radius: 1}).AddGrad(w, w, math.Inf(1)),
			"ops: L1Ball{Radius:1}: scale (+Inf) is not finite"},
		{(ops.TotalVariation{Axis: 1}).AddGrad(w, w32, 1),
			"ops: TotalVariation{Axis:1}: grad has dtype float32, expected w's dtype float64"},
	}
	for i, c := range cases {
		if c.err == nil {
			t.Errorf("case %d: no error, want %q", i, c.want)
			continue
		}
		if got := c.err.Error(); got != c.want {
			t.Errorf("case %d: error %q, want %q", i, got, c.want)
		}
	}
}
