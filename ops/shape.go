package ops

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Hoyer is the ratio ‖w‖₁/‖w‖₂, which lies between 1 (one non-zero) and
// √n (all magnitudes equal) and does not change when w is scaled, so it
// pushes towards sparsity without shrinking w (Hoyer 2004). Its gradient
// is sign(w)/‖w‖₂ − ‖w‖₁·w/‖w‖₂³. For w = 0 both the value and the
// gradient are taken as 0.
type Hoyer struct{}

// TotalVariation is the anisotropic total variation Σ|w[k+1] − w[k]|
// along Axis, summed over every position of the other axes. It favours
// piecewise-constant weights. Axis follows numpy's convention, and a
// negative Axis counts from the last axis. The gradient is the
// subgradient with sign(0) = 0.
type TotalVariation struct {
	Axis int
}

var (
	_ Term = Hoyer{}
	_ Term = TotalVariation{}
)

// String returns "Hoyer".
func (Hoyer) String() string { return "Hoyer" }

// Value returns ‖w‖₁/‖w‖₂, or 0 when w = 0.
func (Hoyer) Value(w tensor.Tensor) (float64, error) {
	return reduce(named("Hoyer"), w, hoyerValue[float32], hoyerValue[float64])
}

// AddGrad adds scale·(sign(w)/‖w‖₂ − ‖w‖₁·w/‖w‖₂³) into grad.
func (Hoyer) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return accumulate(named("Hoyer"), w, grad, scale,
		func(x, g []float32) { hoyerAddGrad(x, g, scale) },
		func(x, g []float64) { hoyerAddGrad(x, g, scale) })
}

func hoyerValue[T float](x []T) float64 {
	l2 := math.Sqrt(sumSquares(x))
	if l2 == 0 {
		return 0
	}
	return l1Value(x) / l2
}

func hoyerAddGrad[T float](x, g []T, scale float64) {
	l2 := math.Sqrt(sumSquares(x))
	if l2 == 0 {
		return
	}
	l1 := l1Value(x)
	a, b := scale/l2, scale*l1/(l2*l2*l2)
	for i, v := range x {
		d := -b * float64(v)
		switch {
		case v > 0:
			d += a
		case v < 0:
			d -= a
		}
		g[i] += T(d)
	}
}

// String returns "TotalVariation{Axis:a}".
func (tv TotalVariation) String() string { return fmt.Sprintf("TotalVariation{Axis:%d}", tv.Axis) }

// layout returns the stride of Axis and its length in w.
func (tv TotalVariation) layout(w tensor.Tensor) (stride, length int, err error) {
	s := w.Shape()
	k := tv.Axis
	if k < 0 {
		k += len(s)
	}
	if k < 0 || k >= len(s) {
		return 0, 0, errors.Errorf("ops: %v: axis %d is out of range for shape %v", tv, tv.Axis, s)
	}
	stride = 1
	for _, n := range s[k+1:] {
		stride *= n
	}
	return stride, s[k], nil
}

// Value returns Σ|w[k+1] − w[k]| along Axis, in O(n).
func (tv TotalVariation) Value(w tensor.Tensor) (float64, error) {
	if w == nil {
		return 0, errors.Errorf("ops: %v: w is nil", tv)
	}
	stride, length, err := tv.layout(w)
	if err != nil {
		return 0, err
	}
	return reduce(tv.String, w,
		func(x []float32) float64 { return tvValue(x, stride, length) },
		func(x []float64) float64 { return tvValue(x, stride, length) })
}

// AddGrad adds scale times the subgradient of the total variation into
// grad.
func (tv TotalVariation) AddGrad(w, grad tensor.Tensor, scale float64) error {
	if w == nil {
		return errors.Errorf("ops: %v: w is nil", tv)
	}
	stride, length, err := tv.layout(w)
	if err != nil {
		return err
	}
	return accumulate(tv.String, w, grad, scale,
		func(x, g []float32) { tvAddGrad(x, g, stride, length, float32(scale)) },
		func(x, g []float64) { tvAddGrad(x, g, stride, length, scale) })
}

// tvPairs calls f(i, j) for every pair of neighbours j = i + stride along
// the axis.
func tvPairs(n, stride, length int, f func(i, j int)) {
	block := stride * length
	if block == 0 {
		return
	}
	for start := 0; start < n; start += block {
		for i := start; i < start+block-stride; i++ {
			f(i, i+stride)
		}
	}
}

func tvValue[T float](x []T, stride, length int) float64 {
	var s float64
	tvPairs(len(x), stride, length, func(i, j int) {
		s += math.Abs(float64(x[j]) - float64(x[i]))
	})
	return s
}

func tvAddGrad[T float](x, g []T, stride, length int, scale T) {
	tvPairs(len(x), stride, length, func(i, j int) {
		switch {
		case x[j] > x[i]:
			g[j] += scale
			g[i] -= scale
		case x[j] < x[i]:
			g[j] -= scale
			g[i] += scale
		}
	})
}
