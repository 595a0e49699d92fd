package ops

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Term is a penalty R(w) on a float32 or float64 tensor.
type Term interface {
	// Value returns R(w).
	Value(w tensor.Tensor) (float64, error)
	// AddGrad adds scale·∇R(w) into grad, which has w's shape and type.
	AddGrad(w, grad tensor.Tensor, scale float64) error
}

// ProxTerm is a term with a closed-form proximal operator.
type ProxTerm interface {
	Term
	// Prox replaces w in place by argmin_x ½‖x−w‖² + t·R(x).
	Prox(w tensor.Tensor, t float64) error
}

// float is the set of element types the terms accept.
type float interface{ ~float32 | ~float64 }

// elements is the backing array of a float32 or float64 tensor: f32 when
// is32 is true and f64 otherwise. The terms read it through Float32s and
// Float64s because tensor.Dense.Data allocates on every call.
type elements struct {
	is32 bool
	f32  []float32
	f64  []float64
}

// named returns a name function for a term or function whose name is a
// constant.
func named(s string) func() string { return func() string { return s } }

// The helpers below take the term's name as a function, usually its
// String method value, and call it only when they return an error. A
// valid call therefore formats nothing and allocates nothing.

// backing returns the elements of w. It rejects nil tensors, tensors
// other than *tensor.Dense, non-contiguous views and dtypes other than
// float32 and float64, naming the term and the argument in the error.
func backing(term func() string, arg string, w tensor.Tensor) (elements, error) {
	if w == nil {
		return elements{}, errors.Errorf("ops: %s: %s is nil", term(), arg)
	}
	d, ok := w.(*tensor.Dense)
	if !ok {
		return elements{}, errors.Errorf("ops: %s: %s is a %T, expected *tensor.Dense",
			term(), arg, w)
	}
	if d.IsScalar() {
		return elements{}, errors.Errorf("ops: %s: %s has scalar shape %v, expected at least "+
			"one axis", term(), arg, d.Shape())
	}
	if d.IsMaterializable() {
		return elements{}, errors.Errorf("ops: %s: %s is a non-contiguous view with shape %v; "+
			"materialize it first", term(), arg, d.Shape())
	}
	switch d.Dtype() {
	case tensor.Float32:
		return elements{is32: true, f32: d.Float32s()}, nil
	case tensor.Float64:
		return elements{f64: d.Float64s()}, nil
	}
	return elements{}, errors.Errorf("ops: %s: %s has dtype %v, expected float32 or float64",
		term(), arg, d.Dtype())
}

// pair returns the elements of w and grad, checking that both have the
// same shape and dtype.
func pair(term func() string, w, grad tensor.Tensor) (elements, elements, error) {
	wd, err := backing(term, "w", w)
	if err != nil {
		return elements{}, elements{}, err
	}
	gd, err := backing(term, "grad", grad)
	if err != nil {
		return elements{}, elements{}, err
	}
	if !w.Shape().Eq(grad.Shape()) {
		return elements{}, elements{}, errors.Errorf("ops: %s: grad has shape %v, expected "+
			"w's shape %v", term(), grad.Shape(), w.Shape())
	}
	if w.Dtype() != grad.Dtype() {
		return elements{}, elements{}, errors.Errorf("ops: %s: grad has dtype %v, expected "+
			"w's dtype %v", term(), grad.Dtype(), w.Dtype())
	}
	return wd, gd, nil
}

// checkScale rejects a NaN or infinite gradient scale.
func checkScale(term func() string, scale float64) error {
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return errors.Errorf("ops: %s: scale (%v) is not finite", term(), scale)
	}
	return nil
}

// checkThreshold rejects a negative, NaN or infinite prox threshold.
func checkThreshold(term func() string, t float64) error {
	if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
		return errors.Errorf("ops: %s: threshold t (%v) must be finite and non-negative",
			term(), t)
	}
	return nil
}

// termName returns the name used for t in errors and hashes: its String
// method when it has one, or else its Go type and fields.
func termName(t Term) string {
	if s, ok := t.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T%+v", t, t)
}

// reduce returns f32 or f64, whichever matches w's dtype, applied to w's
// elements.
func reduce(term func() string, w tensor.Tensor, f32 func([]float32) float64,
	f64 func([]float64) float64) (float64, error) {
	x, err := backing(term, "w", w)
	if err != nil {
		return 0, err
	}
	if x.is32 {
		return f32(x.f32), nil
	}
	return f64(x.f64), nil
}

// update applies f32 or f64, whichever matches w's dtype, to w's
// elements in place.
func update(term func() string, w tensor.Tensor, f32 func([]float32), f64 func([]float64)) error {
	x, err := backing(term, "w", w)
	if err != nil {
		return err
	}
	if x.is32 {
		f32(x.f32)
		return nil
	}
	f64(x.f64)
	return nil
}

// accumulate checks scale, w and grad, then applies f32 or f64 to the
// elements of w and grad.
func accumulate(term func() string, w, grad tensor.Tensor, scale float64,
	f32 func(x, g []float32), f64 func(x, g []float64)) error {
	if err := checkScale(term, scale); err != nil {
		return err
	}
	x, g, err := pair(term, w, grad)
	if err != nil {
		return err
	}
	if x.is32 {
		f32(x.f32, g.f32)
		return nil
	}
	f64(x.f64, g.f64)
	return nil
}
