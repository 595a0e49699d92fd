package solvers

import (
	"math"

	"github.com/pkg/errors"
)

// Inner solver state layout: kind, then for Momentum and Adam the step
// count, whether second moments are kept, the number of parameters, and
// per parameter its type and moments.
const (
	kindSGD      = "sgd"
	kindMomentum = "momentum"
	kindAdam     = "adam"
)

// MarshalState encodes nothing but the kind, because SGD keeps no state.
func (s *SGD) MarshalState() ([]byte, error) {
	var e encoder
	e.str(kindSGD)
	return e.b, nil
}

// UnmarshalState checks that data was written by an SGD.
func (s *SGD) UnmarshalState(data []byte) error {
	d := &decoder{b: data}
	if kind := d.str(); d.err != nil || kind != kindSGD {
		return errors.Errorf("solvers: SGD: state is from a %q solver, expected %q", kind, kindSGD)
	}
	return d.err
}

// MarshalState encodes the velocities.
func (s *Momentum) MarshalState() ([]byte, error) { return s.state.marshal(kindMomentum), nil }

// UnmarshalState restores the velocities. On error nothing changes.
func (s *Momentum) UnmarshalState(data []byte) error {
	return s.state.unmarshal(kindMomentum, false, data)
}

// MarshalState encodes the step count and the moments.
func (s *Adam) MarshalState() ([]byte, error) { return s.state.marshal(kindAdam), nil }

// UnmarshalState restores the step count and the moments. On error
// nothing changes.
func (s *Adam) UnmarshalState(data []byte) error {
	return s.state.unmarshal(kindAdam, true, data)
}

func (st *moments) marshal(kind string) []byte {
	var e encoder
	e.str(kind)
	e.int(st.iter)
	e.bool(st.two)
	e.int(len(st.dtype))
	for i, k := range st.dtype {
		e.int(int(k))
		if k == f32 {
			e.f32s(st.m32[i])
			e.f32s(st.v32[i])
		} else {
			e.f64s(st.m64[i])
			e.f64s(st.v64[i])
		}
	}
	return e.b
}

// unmarshal restores state written by marshal for a solver of this kind,
// which keeps second moments when two is set. It rejects state whose
// moments do not pair up, so that a later step cannot index past them,
// and moments that no step writes (ErrCorrupt, see validMoments).
func (st *moments) unmarshal(kind string, two bool, data []byte) error {
	d := &decoder{b: data}
	if k := d.str(); d.err == nil && k != kind {
		return errors.Errorf("solvers: %s: state is from a %q solver, expected %q", kind, k, kind)
	}
	var next moments
	next.iter = d.int()
	next.two = d.bool()
	if d.err == nil && next.two != two {
		return errors.Errorf("solvers: %s: state has second moments %v, expected %v",
			kind, next.two, two)
	}

	n := d.count(8)
	next.dtype = make([]dtypeKind, n)
	next.m32, next.v32 = make([][]float32, n), make([][]float32, n)
	next.m64, next.v64 = make([][]float64, n), make([][]float64, n)
	for i := 0; i < n && d.err == nil; i++ {
		next.dtype[i] = dtypeKind(d.int())
		switch next.dtype[i] {
		case f32:
			next.m32[i], next.v32[i] = d.f32s(), d.f32s()
		case f64:
			next.m64[i], next.v64[i] = d.f64s(), d.f64s()
		default:
			return errors.Errorf("solvers: %s: unknown type %d in state", kind, next.dtype[i])
		}
		if d.err == nil && !validMoments(next.m32[i], next.v32[i], next.m64[i], next.v64[i]) {
			return errors.Wrapf(ErrCorrupt, "solvers: %s: parameter %d has a first moment "+
				"that is not finite or a second moment that is NaN or negative in the state",
				kind, i)
		}
		first := len(next.m32[i]) + len(next.m64[i])
		second := len(next.v32[i]) + len(next.v64[i])
		if d.err == nil && ((two && second != first) || (!two && second != 0)) {
			return errors.Errorf("solvers: %s: parameter %d has %d first and %d second "+
				"moments in the state", kind, i, first, second)
		}
	}

	if d.err == nil && (next.iter < 0 || len(d.b) != 0) {
		return errors.Errorf("solvers: %s: state has step %d and %d bytes after it",
			kind, next.iter, len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	if n == 0 {
		next.dtype = nil
	}
	*st = next
	return nil
}

// validMoments reports whether the moment slices contain only values a
// step can write: finite first moments and second moments of 0 or more.
// A second moment can be +Inf, because Adam's g² overflows for a finite
// |g| above 2⁶⁴ in float32 or 2⁵¹² in float64, and the weight then stops.
func validMoments(m32, v32 []float32, m64, v64 []float64) bool {
	for _, x := range m32 {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	for _, x := range m64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	for _, x := range v32 {
		if !(x >= 0) {
			return false
		}
	}
	for _, x := range v64 {
		if !(x >= 0) {
			return false
		}
	}
	return true
}
