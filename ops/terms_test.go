package ops_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// dense and floats build and read test tensors; see helpers_test.go.
var (
	dense  = ops.DenseOf
	floats = func(t tensor.Tensor) []float64 { return ops.FloatsOf(t) }
)

// termCase is a term at a point where it is differentiable, with its value
// worked out by hand.
type termCase struct {
	name  string
	term  ops.Term
	shape []int
	w     []float64
	value float64
}

var m23 = []float64{1, -2, 2, 0.5, 0.25, -1} // a 2×3 matrix, row-major

var termCases = []termCase{
	{"L1", ops.L1{}, []int{2, 3}, m23, 6.75},
	{"L2", ops.L2{}, []int{2, 3}, m23, (1 + 4 + 4 + 0.25 + 0.0625 + 1) / 2},
	// 0.25·6.75 + 0.75/2·10.3125
	{"ElasticNet", ops.ElasticNet{L1Ratio: 0.25}, []int{2, 3}, m23, 0.25*6.75 + 0.375*10.3125},
	// Σ log(1+|w|/0.5) = log(3)+log(5)+log(5)+log(2)+log(1.5)+log(3)
	{"LogSum", ops.LogSum{Eps: 0.5}, []int{2, 3}, m23,
		math.Log(3) + 2*math.Log(5) + math.Log(2) + math.Log(1.5) + math.Log(3)},
	// rows: ‖(1,−2,2)‖ = 3, ‖(0.5,0.25,−1)‖ = √1.3125
	{"GroupLassoRows", ops.GroupLasso{Axis: 1}, []int{2, 3}, m23, 3 + math.Sqrt(1.3125)},
	// columns: √1.25, √4.0625, √5
	{"GroupLassoCols", ops.GroupLasso{Axis: 0}, []int{2, 3}, m23,
		math.Sqrt(1.25) + math.Sqrt(4.0625) + math.Sqrt(5)},
	{"GroupLassoNegAxis", ops.GroupLasso{Axis: -1}, []int{2, 3}, m23, 3 + math.Sqrt(1.3125)},
	{"GroupLassoAll", ops.GroupLasso{Axes: []int{0, 1}}, []int{2, 3}, m23, math.Sqrt(10.3125)},
	// a (2, 1, 1, 3) convolution weight: one group per filter
	{"GroupLassoFilters", ops.GroupLasso{Axes: []int{1, 2, 3}}, []int{2, 1, 1, 3}, m23,
		3 + math.Sqrt(1.3125)},
	// input channels of a (2, 3, 1, 1) convolution weight: the columns
	{"GroupLassoChannels", ops.GroupLasso{Axes: []int{0, 2, 3}}, []int{2, 3, 1, 1}, m23,
		math.Sqrt(1.25) + math.Sqrt(4.0625) + math.Sqrt(5)},
	{"Hoyer", ops.Hoyer{}, []int{2, 3}, m23, 6.75 / math.Sqrt(10.3125)},
	// rows: |−3|+|4| and |−0.25|+|−1.25|
	{"TotalVariationRows", ops.TotalVariation{Axis: 1}, []int{2, 3}, m23, 8.5},
	// columns: |0.5−1|+|0.25+2|+|−1−2|
	{"TotalVariationCols", ops.TotalVariation{Axis: 0}, []int{2, 3}, m23, 5.75},
	// WᵀW − I has diagonal 0.25, 3.0625, 4 and off-diagonal −1.875, 1.5,
	// −4.25 (each twice).
	{"Orthogonality", ops.Orthogonality{}, []int{2, 3}, m23,
		0.0625 + 9.37890625 + 16 + 2*(3.515625+2.25+18.0625)},
	// singular values 4 and 3
	{"Nuclear", ops.Nuclear{}, []int{3, 2}, []float64{3, 0, 0, -4, 0, 0}, 7},
	// [[2,1],[1,2]] has singular values 3 and 1
	{"NuclearSymmetric", ops.Nuclear{}, []int{2, 2}, []float64{2, 1, 1, 2}, 4},
	{"SpectralNorm", &ops.SpectralNorm{Iters: 100}, []int{3, 2}, []float64{3, 0, 0, -4, 0, 0}, 4},
	{"SpectralNormSymmetric", &ops.SpectralNorm{Iters: 100}, []int{2, 2}, []float64{2, 1, 1, 2}, 3},
	// centred rows (−2,0), (0,−2), (2,2): C₀₁ = 4/3, so ½·2·(4/3)²
	{"Decorrelation", ops.Decorrelation{}, []int{3, 2}, []float64{1, 2, 3, 0, 5, 4}, 16.0 / 9},
}

func TestTermValue(t *testing.T) {
	for i, tc := range termCases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got, err := tc.term.Value(dense(dt, tc.shape, tc.w))
			if err != nil {
				t.Fatalf("case %d (%s, %v): %v", i, tc.name, dt, err)
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-6
			}
			if math.Abs(got-tc.value) > tol*math.Max(1, math.Abs(tc.value)) {
				t.Errorf("case %d (%s, %v): Value = %.15g; want %.15g", i, tc.name, dt, got, tc.value)
			}
		}
	}
}

// TestTermGradientDirect compares AddGrad with central differences of
// Value, and checks that AddGrad adds rather than overwrites.
func TestTermGradientDirect(t *testing.T) {
	const scale, h = 1.7, 1e-6
	for i, tc := range termCases {
		w := dense(tensor.Float64, tc.shape, tc.w)
		grad := dense(tensor.Float64, tc.shape, make([]float64, len(tc.w)))
		grad.Memset(0.5)
		if err := tc.term.AddGrad(w, grad, scale); err != nil {
			t.Fatalf("case %d (%s): AddGrad: %v", i, tc.name, err)
		}
		got := floats(grad)
		data := w.Data().([]float64)
		for k := range data {
			orig := data[k]
			data[k] = orig + h
			up, _ := tc.term.Value(w)
			data[k] = orig - h
			down, _ := tc.term.Value(w)
			data[k] = orig
			want := 0.5 + scale*(up-down)/(2*h)
			if math.Abs(got[k]-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("case %d (%s): grad[%d] = %.10g; want %.10g", i, tc.name, k, got[k], want)
			}
		}
	}
}

// TestTermGradientGraph checks every term through Penalty on a
// TapeMachine with the public gradient checker, in float64 and float32.
func TestTermGradientGraph(t *testing.T) {
	for i, tc := range termCases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			g := gorgonia.NewGraph()
			w := gorgonia.NewTensor(g, dt, len(tc.shape), gorgonia.WithShape(tc.shape...),
				gorgonia.WithName("w"), gorgonia.WithValue(dense(dt, tc.shape, tc.w)))
			var cv any = 0.8
			if dt == tensor.Float32 {
				cv = float32(0.8)
			}
			c := gorgonia.NewScalar(g, dt, gorgonia.WithName("c"), gorgonia.WithValue(cv))
			p, err := ops.Penalty(w, c, tc.term)
			if err != nil {
				t.Fatalf("case %d (%s, %v): %v", i, tc.name, dt, err)
			}
			opts := []graphs.CheckOption{graphs.WithStep(1e-6), graphs.WithTolerance(1e-7)}
			if dt == tensor.Float32 {
				opts = []graphs.CheckOption{graphs.WithStep(1e-2), graphs.WithTolerance(2e-2)}
			}
			rep, err := graphs.CheckGradient(p, gorgonia.Nodes{w, c}, opts...)
			if err != nil {
				t.Fatalf("case %d (%s, %v): %v", i, tc.name, dt, err)
			}
			if !rep.OK {
				t.Errorf("case %d (%s, %v): %v", i, tc.name, dt, rep)
			}
		}
	}
}

// TestTermGradientLisp runs every term through Penalty on a LispMachine,
// which differentiates with DoDiff, and compares the gradients with
// coef·AddGrad for w and Value for coef.
func TestTermGradientLisp(t *testing.T) {
	const coef = 0.8
	for i, tc := range termCases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			want := dense(dt, tc.shape, make([]float64, len(tc.w)))
			if err := tc.term.AddGrad(dense(dt, tc.shape, tc.w), want, coef); err != nil {
				t.Fatalf("case %d (%s, %v): AddGrad: %v", i, tc.name, dt, err)
			}
			value, err := tc.term.Value(dense(dt, tc.shape, tc.w))
			if err != nil {
				t.Fatalf("case %d (%s, %v): Value: %v", i, tc.name, dt, err)
			}

			g := gorgonia.NewGraph()
			w := gorgonia.NewTensor(g, dt, len(tc.shape), gorgonia.WithShape(tc.shape...),
				gorgonia.WithName("w"), gorgonia.WithValue(dense(dt, tc.shape, tc.w)))
			var cv any = coef
			if dt == tensor.Float32 {
				cv = float32(coef)
			}
			c := gorgonia.NewScalar(g, dt, gorgonia.WithName("c"), gorgonia.WithValue(cv))
			if _, err := ops.Penalty(w, c, tc.term); err != nil {
				t.Fatalf("case %d (%s, %v): %v", i, tc.name, dt, err)
			}
			vm := gorgonia.NewLispMachine(g)
			if err := vm.RunAll(); err != nil {
				t.Fatalf("case %d (%s, %v): RunAll: %v", i, tc.name, dt, err)
			}
			vm.Close()

			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			wg, err := w.Grad()
			if err != nil {
				t.Fatalf("case %d (%s, %v): w.Grad: %v", i, tc.name, dt, err)
			}
			wantW := floats(want)
			for k, got := range floats(wg.(tensor.Tensor)) {
				if math.Abs(got-wantW[k]) > tol*math.Max(1, math.Abs(wantW[k])) {
					t.Errorf("case %d (%s, %v): ∂/∂w[%d] = %.10g; want %.10g",
						i, tc.name, dt, k, got, wantW[k])
				}
			}
			cg, err := c.Grad()
			if err != nil {
				t.Fatalf("case %d (%s, %v): c.Grad: %v", i, tc.name, dt, err)
			}
			if got := ops.FloatsOf(cg)[0]; math.Abs(got-value) > tol*math.Max(1, value) {
				t.Errorf("case %d (%s, %v): ∂/∂coef = %.10g; want R(w) = %.10g", i, tc.name, dt, got, value)
			}
		}
	}
}
