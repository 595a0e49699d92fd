package ops

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ProjectNonNegative replaces w in place by its Euclidean projection onto
// the non-negative orthant, max(w, 0), in O(n).
func ProjectNonNegative(w tensor.Tensor) error {
	return update(named("ProjectNonNegative"), w, clampSlice[float32](0, math.Inf(1)),
		clampSlice[float64](0, math.Inf(1)))
}

// ProjectBox replaces w in place by its Euclidean projection onto the box
// [lo, hi]ⁿ, min(max(w, lo), hi), in O(n). lo may be −Inf and hi +Inf,
// but lo > hi or a NaN bound is an error.
func ProjectBox(w tensor.Tensor, lo, hi float64) error {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return errors.Errorf("ops: ProjectBox: bounds [%v, %v] are not an interval", lo, hi)
	}
	return update(named("ProjectBox"), w, clampSlice[float32](lo, hi), clampSlice[float64](lo, hi))
}

func clampSlice[T float](lo, hi float64) func([]T) {
	return func(x []T) {
		for i, v := range x {
			switch {
			case float64(v) < lo:
				x[i] = T(lo)
			case float64(v) > hi:
				x[i] = T(hi)
			}
		}
	}
}

// ProjectMaxNorm rescales every group of w whose Euclidean norm exceeds
// maxNorm to norm maxNorm, the max-norm constraint of Srebro and
// Shraibman (2005) used with dropout. The norm runs along axis, as in
// GroupLasso: for a matrix, axis 1 constrains each row and axis 0 each
// column. It takes O(n), and maxNorm must be positive and finite.
func ProjectMaxNorm(w tensor.Tensor, maxNorm float64, axis int) error {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 1) {
		return errors.Errorf("ops: ProjectMaxNorm: maxNorm (%v) must be positive and finite", maxNorm)
	}
	gl := GroupLasso{Axis: axis}
	x, sc, err := gl.prepare(w)
	if err != nil {
		return errors.Wrap(err, "ops: ProjectMaxNorm")
	}
	defer sc.release()
	factor := maxNormFactors(sc.groupNorms(x), maxNorm)
	sc.scale(x, x, factor, false)
	return nil
}

func maxNormFactors(norms []float64, maxNorm float64) []float64 {
	for g, n := range norms {
		norms[g] = 1
		if n > maxNorm {
			norms[g] = maxNorm / n
		}
	}
	return norms
}

// ProjectL1Ball replaces w in place by its Euclidean projection onto the
// ball ‖x‖₁ ≤ radius: the soft threshold at the θ that makes ‖x‖₁ equal
// to radius, or w itself when it is inside. θ is found by sorting the
// magnitudes (Duchi et al. 2008, algorithm 1), so it takes O(n·log n)
// time and O(n) extra memory, which is pooled so that repeated
// projections of one size reuse it. radius must be non-negative and
// finite.
func ProjectL1Ball(w tensor.Tensor, radius float64) error {
	if !(radius >= 0) || math.IsInf(radius, 1) {
		return errors.Errorf("ops: ProjectL1Ball: radius (%v) must be non-negative and finite", radius)
	}
	return update(named("ProjectL1Ball"), w,
		func(x []float32) { softThreshold(x, float32(l1BallThreshold(x, radius))) },
		func(x []float64) { softThreshold(x, l1BallThreshold(x, radius)) })
}

// magnitudePool contains the buffers in which l1BallThreshold sorts the
// magnitudes.
var magnitudePool = sync.Pool{New: func() any { return new([]float64) }}

// l1BallThreshold returns the θ ≥ 0 with Σ max(|xᵢ| − θ, 0) = radius, or
// 0 when ‖x‖₁ ≤ radius.
func l1BallThreshold[T float](x []T, radius float64) float64 {
	if l1Value(x) <= radius {
		return 0
	}
	buf := magnitudePool.Get().(*[]float64)
	defer magnitudePool.Put(buf)
	if cap(*buf) < len(x) {
		*buf = make([]float64, len(x))
	}
	mags := (*buf)[:len(x)]
	for i, v := range x {
		mags[i] = math.Abs(float64(v))
	}
	slices.Sort(mags)
	slices.Reverse(mags)
	// With radius 0 no k passes the test below, and θ = max|xᵢ| zeroes x.
	cum, theta := 0.0, mags[0]
	for k, m := range mags {
		cum += m
		t := (cum - radius) / float64(k+1)
		if m <= t {
			break
		}
		theta = t
	}
	return theta
}

// Constraint is the indicator function of a convex set as a term: Value
// is 0 inside the set and +Inf outside, AddGrad adds nothing, and Prox is
// the Euclidean projection Project whatever the threshold. A constraint
// only acts through its proximal step, which keeps a weight feasible
// after every optimizer step. It must not be put into a loss.
type Constraint interface {
	ProxTerm
	// Project replaces w in place by its Euclidean projection onto the
	// set.
	Project(w tensor.Tensor) error
}

// NonNegative is the constraint w ≥ 0.
type NonNegative struct{}

// Box is the constraint Lo ≤ w ≤ Hi.
type Box struct {
	Lo, Hi float64
}

// MaxNorm is the constraint that every group along Axis has Euclidean
// norm at most Max. See ProjectMaxNorm.
type MaxNorm struct {
	Max  float64
	Axis int
}

// L1Ball is the constraint ‖w‖₁ ≤ Radius. See ProjectL1Ball.
type L1Ball struct {
	Radius float64
}

var (
	_ Constraint = NonNegative{}
	_ Constraint = Box{}
	_ Constraint = MaxNorm{}
	_ Constraint = L1Ball{}
)

// feasibilityTol is the relative slack allowed when Value tests
// membership, so that a projected float32 weight counts as feasible.
const feasibilityTol = 1e-6

func indicator(inside bool) float64 {
	if inside {
		return 0
	}
	return math.Inf(1)
}

// constraintGrad checks the arguments of a constraint's AddGrad, which
// adds nothing.
func constraintGrad(term func() string, w, grad tensor.Tensor, scale float64) error {
	return accumulate(term, w, grad, scale, func(_, _ []float32) {}, func(_, _ []float64) {})
}

// String returns "NonNegative".
func (NonNegative) String() string { return "NonNegative" }

// Value returns 0 when every element is ≥ 0 and +Inf otherwise.
func (NonNegative) Value(w tensor.Tensor) (float64, error) {
	return reduce(named("NonNegative"), w,
		func(x []float32) float64 { lo, _ := minMax(x); return indicator(lo >= 0) },
		func(x []float64) float64 { lo, _ := minMax(x); return indicator(lo >= 0) })
}

// AddGrad adds nothing. It only checks its arguments.
func (NonNegative) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return constraintGrad(named("NonNegative"), w, grad, scale)
}

// Prox calls ProjectNonNegative. It only checks t.
func (NonNegative) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(named("NonNegative"), t); err != nil {
		return err
	}
	return ProjectNonNegative(w)
}

// Project calls ProjectNonNegative.
func (NonNegative) Project(w tensor.Tensor) error { return ProjectNonNegative(w) }

// String returns "Box{Lo:a Hi:b}".
func (b Box) String() string { return fmt.Sprintf("Box{Lo:%v Hi:%v}", b.Lo, b.Hi) }

// Value returns 0 when every element lies in [Lo, Hi], with a relative
// slack of 1e-6, and +Inf otherwise.
func (b Box) Value(w tensor.Tensor) (float64, error) {
	if math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || b.Lo > b.Hi {
		return 0, errors.Errorf("ops: %v: bounds are not an interval", b)
	}
	inside := func(lo, hi float64) bool {
		return lo >= b.Lo-feasibilityTol*math.Max(1, math.Abs(b.Lo)) &&
			hi <= b.Hi+feasibilityTol*math.Max(1, math.Abs(b.Hi))
	}
	return reduce(b.String, w,
		func(x []float32) float64 { return indicator(inside(minMax(x))) },
		func(x []float64) float64 { return indicator(inside(minMax(x))) })
}

func minMax[T float](x []T) (float64, float64) {
	if len(x) == 0 {
		return math.Inf(1), math.Inf(-1)
	}
	return float64(slices.Min(x)), float64(slices.Max(x))
}

// AddGrad adds nothing. It only checks its arguments.
func (b Box) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return constraintGrad(b.String, w, grad, scale)
}

// Prox calls ProjectBox. It only checks t.
func (b Box) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(b.String, t); err != nil {
		return err
	}
	return ProjectBox(w, b.Lo, b.Hi)
}

// Project calls ProjectBox.
func (b Box) Project(w tensor.Tensor) error { return ProjectBox(w, b.Lo, b.Hi) }

// String returns "MaxNorm{Max:c Axis:a}".
func (m MaxNorm) String() string { return fmt.Sprintf("MaxNorm{Max:%v Axis:%d}", m.Max, m.Axis) }

// Value returns 0 when no group's norm exceeds Max by more than a
// relative 1e-6, and +Inf otherwise.
func (m MaxNorm) Value(w tensor.Tensor) (float64, error) {
	if !(m.Max > 0) || math.IsInf(m.Max, 1) {
		return 0, errors.Errorf("ops: %v: Max must be positive and finite", m)
	}
	gl := GroupLasso{Axis: m.Axis}
	x, sc, err := gl.prepare(w)
	if err != nil {
		return 0, errors.Wrapf(err, "ops: %v", m)
	}
	defer sc.release()
	inside := true
	for _, n := range sc.groupNorms(x) {
		inside = inside && n <= m.Max*(1+feasibilityTol)
	}
	return indicator(inside), nil
}

// AddGrad adds nothing. It only checks its arguments.
func (m MaxNorm) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return constraintGrad(m.String, w, grad, scale)
}

// Prox calls ProjectMaxNorm. It only checks t.
func (m MaxNorm) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(m.String, t); err != nil {
		return err
	}
	return ProjectMaxNorm(w, m.Max, m.Axis)
}

// Project calls ProjectMaxNorm.
func (m MaxNorm) Project(w tensor.Tensor) error { return ProjectMaxNorm(w, m.Max, m.Axis) }

// String returns "L1Ball{Radius:r}".
func (b L1Ball) String() string { return fmt.Sprintf("L1Ball{Radius:%v}", b.Radius) }

// Value returns 0 when ‖w‖₁ ≤ Radius, with a relative slack of 1e-6, and
// +Inf otherwise.
func (b L1Ball) Value(w tensor.Tensor) (float64, error) {
	if !(b.Radius >= 0) || math.IsInf(b.Radius, 1) {
		return 0, errors.Errorf("ops: %v: Radius must be non-negative and finite", b)
	}
	tol := b.Radius*(1+feasibilityTol) + feasibilityTol
	return reduce(b.String, w,
		func(x []float32) float64 { return indicator(l1Value(x) <= tol) },
		func(x []float64) float64 { return indicator(l1Value(x) <= tol) })
}

// AddGrad adds nothing. It only checks its arguments.
func (b L1Ball) AddGrad(w, grad tensor.Tensor, scale float64) error {
	return constraintGrad(b.String, w, grad, scale)
}

// Prox calls ProjectL1Ball. It only checks t.
func (b L1Ball) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(b.String, t); err != nil {
		return err
	}
	return ProjectL1Ball(w, b.Radius)
}

// Project calls ProjectL1Ball.
func (b L1Ball) Project(w tensor.Tensor) error { return ProjectL1Ball(w, b.Radius) }
