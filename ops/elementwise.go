package ops

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// L1 is the lasso penalty ‖w‖₁ = Σ|wᵢ|. Its gradient is the subgradient
// sign(w), which is 0 where wᵢ = 0. Its proximal operator is the soft
// threshold, which sets every |wᵢ| ≤ t to exactly 0.
type L1 struct{}

// L2 is the ridge penalty ½‖w‖²₂ = ½Σwᵢ², with gradient w. Its proximal
// operator shrinks w by the factor 1/(1+t) and never makes zeros.
type L2 struct{}

// ElasticNet is L1Ratio·‖w‖₁ + (1−L1Ratio)/2·‖w‖²₂, the convention of
// scikit-learn's ElasticNet. L1Ratio must lie in [0, 1]: 1 is L1 and 0
// is L2. The zero value is therefore L2.
type ElasticNet struct {
	L1Ratio float64
}

// LogSum is Σ log(1 + |wᵢ|/Eps), a concave surrogate of the count of
// non-zeros (Candès, Wakin and Boyd 2008). Smaller Eps approaches the
// count more closely but makes the gradient sign(wᵢ)/(Eps+|wᵢ|) steeper
// near 0. Eps must be positive, so the zero value is rejected.
type LogSum struct {
	Eps float64
}

var (
	_ ProxTerm = L1{}
	_ ProxTerm = L2{}
	_ ProxTerm = ElasticNet{}
	_ Term     = LogSum{}
)

// String returns "L1".
func (L1) String() string { return "L1" }

// Value returns ‖w‖₁, summed in float64.
func (L1) Value(w tensor.Tensor) (float64, error) {
	return reduce(named("L1"), w, l1Value[float32], l1Value[float64])
}

// AddGrad adds scale·sign(w) into grad.
func (L1) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return accumulate(named("L1"), w, grad, scale,
		func(x, g []float32) { l1AddGrad(x, g, float32(scale)) },
		func(x, g []float64) { l1AddGrad(x, g, scale) })
}

// Prox applies the soft threshold wᵢ ← sign(wᵢ)·max(|wᵢ|−t, 0) in O(n).
func (L1) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(named("L1"), t); err != nil {
		return err
	}
	return update(named("L1"), w,
		func(x []float32) { softThreshold(x, float32(t)) },
		func(x []float64) { softThreshold(x, t) })
}

// String returns "L2".
func (L2) String() string { return "L2" }

// Value returns ½‖w‖²₂, summed in float64.
func (L2) Value(w tensor.Tensor) (float64, error) {
	return reduce(named("L2"), w, halfSumSquares[float32], halfSumSquares[float64])
}

// AddGrad adds scale·w into grad.
func (L2) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return accumulate(named("L2"), w, grad, scale,
		func(x, g []float32) { axpy(float32(scale), x, g) },
		func(x, g []float64) { axpy(scale, x, g) })
}

// Prox scales w by 1/(1+t) in O(n).
func (L2) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(named("L2"), t); err != nil {
		return err
	}
	return update(named("L2"), w,
		func(x []float32) { scaleBy(x, float32(1/(1+t))) },
		func(x []float64) { scaleBy(x, 1/(1+t)) })
}

// String returns "ElasticNet{L1Ratio:r}".
func (e ElasticNet) String() string { return fmt.Sprintf("ElasticNet{L1Ratio:%v}", e.L1Ratio) }

func (e ElasticNet) check() error {
	if !(e.L1Ratio >= 0 && e.L1Ratio <= 1) {
		return errors.Errorf("ops: %v: L1Ratio (%v) is outside [0, 1]", e, e.L1Ratio)
	}
	return nil
}

// Value returns r‖w‖₁ + (1−r)/2·‖w‖²₂ with r = L1Ratio.
func (e ElasticNet) Value(w tensor.Tensor) (float64, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	r := e.L1Ratio
	return reduce(e.String, w,
		func(x []float32) float64 { return r*l1Value(x) + (1-r)*halfSumSquares(x) },
		func(x []float64) float64 { return r*l1Value(x) + (1-r)*halfSumSquares(x) })
}

// AddGrad adds scale·(r·sign(w) + (1−r)·w) into grad.
func (e ElasticNet) AddGrad(w, grad tensor.Tensor, scale float64) error {
	if err := e.check(); err != nil {
		return err
	}
	a, b := scale*e.L1Ratio, scale*(1-e.L1Ratio)
	return accumulate(e.String, w, grad, scale,
		func(x, g []float32) { l1AddGrad(x, g, float32(a)); axpy(float32(b), x, g) },
		func(x, g []float64) { l1AddGrad(x, g, a); axpy(b, x, g) })
}

// Prox applies the soft threshold at r·t and then scales by
// 1/(1+(1−r)·t), in O(n).
func (e ElasticNet) Prox(w tensor.Tensor, t float64) error {
	if err := e.check(); err != nil {
		return err
	}
	if err := checkThreshold(e.String, t); err != nil {
		return err
	}
	th, shrink := e.L1Ratio*t, 1/(1+(1-e.L1Ratio)*t)
	return update(e.String, w,
		func(x []float32) { softThreshold(x, float32(th)); scaleBy(x, float32(shrink)) },
		func(x []float64) { softThreshold(x, th); scaleBy(x, shrink) })
}

// String returns "LogSum{Eps:e}".
func (l LogSum) String() string { return fmt.Sprintf("LogSum{Eps:%v}", l.Eps) }

func (l LogSum) check() error {
	if !(l.Eps > 0) || math.IsInf(l.Eps, 1) {
		return errors.Errorf("ops: %v: Eps (%v) must be positive and finite", l, l.Eps)
	}
	return nil
}

// Value returns Σ log(1 + |wᵢ|/Eps).
func (l LogSum) Value(w tensor.Tensor) (float64, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	return reduce(l.String, w,
		func(x []float32) float64 { return logSumValue(x, l.Eps) },
		func(x []float64) float64 { return logSumValue(x, l.Eps) })
}

// AddGrad adds scale·sign(wᵢ)/(Eps+|wᵢ|) into grad.
func (l LogSum) AddGrad(w, grad tensor.Tensor, scale float64) error {
	if err := l.check(); err != nil {
		return err
	}
	return accumulate(l.String, w, grad, scale,
		func(x, g []float32) { logSumAddGrad(x, g, l.Eps, scale) },
		func(x, g []float64) { logSumAddGrad(x, g, l.Eps, scale) })
}

// l1Value sums |xᵢ| in float64 with four partial sums, which lets the
// additions overlap instead of waiting on one another.
func l1Value[T float](x []T) float64 {
	var s0, s1, s2, s3 float64
	if x32, ok := any(x).([]float32); ok && useAVX2 && len(x) >= 8 {
		s0 = absSumAVX2(x32)
		x = x[len(x)&^7:]
	}
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += math.Abs(float64(x[i]))
		s1 += math.Abs(float64(x[i+1]))
		s2 += math.Abs(float64(x[i+2]))
		s3 += math.Abs(float64(x[i+3]))
	}
	for _, v := range x[n:] {
		s0 += math.Abs(float64(v))
	}
	return (s0 + s1) + (s2 + s3)
}

// l1AddGrad adds scale·sign(xᵢ) into gᵢ, with sign(0) = 0. It works on
// the bits of xᵢ instead of branching on its sign, because the signs of
// trained weights are close to random and a mispredicted branch per
// element costs more than the arithmetic. A NaN element adds ±scale.
func l1AddGrad[T float](x, g []T, scale T) {
	switch x := any(x).(type) {
	case []float32:
		l1AddGrad32(x, any(g).([]float32), float32(scale))
	case []float64:
		l1AddGrad64(x, any(g).([]float64), float64(scale))
	}
}

func l1AddGrad32(x, g []float32, scale float32) {
	const sign = 1 << 31
	g = g[:len(x)]
	if useAVX2 && len(x) >= 8 {
		n := len(x) &^ 7
		signAddAVX2(x[:n], g[:n], scale)
		x, g = x[n:], g[n:]
	}
	s := math.Float32bits(scale)
	for i, v := range x {
		b := math.Float32bits(v)
		mag := b &^ sign
		nonzero := uint32(int32(mag|-mag) >> 31) // all ones unless v is ±0
		g[i] += math.Float32frombits((s ^ b&sign) & nonzero)
	}
}

func l1AddGrad64(x, g []float64, scale float64) {
	const sign = 1 << 63
	s := math.Float64bits(scale)
	g = g[:len(x)]
	for i, v := range x {
		b := math.Float64bits(v)
		mag := b &^ sign
		nonzero := uint64(int64(mag|-mag) >> 63)
		g[i] += math.Float64frombits((s ^ b&sign) & nonzero)
	}
}

func sumSquares[T float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

func halfSumSquares[T float](x []T) float64 { return sumSquares(x) / 2 }

func axpy[T float](a T, x, y []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

func scaleBy[T float](x []T, a T) {
	for i := range x {
		x[i] *= a
	}
}

func softThreshold[T float](x []T, t T) {
	for i, v := range x {
		switch {
		case v > t:
			x[i] = v - t
		case v < -t:
			x[i] = v + t
		default:
			x[i] = 0
		}
	}
}

func logSumValue[T float](x []T, eps float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Log1p(math.Abs(float64(v)) / eps)
	}
	return s
}

func logSumAddGrad[T float](x, g []T, eps, scale float64) {
	g = g[:len(x)]
	for i, v := range x {
		a := math.Abs(float64(v))
		d := scale / (eps + a)
		switch {
		case v > 0:
			g[i] += T(d)
		case v < 0:
			g[i] -= T(d)
		}
	}
}
