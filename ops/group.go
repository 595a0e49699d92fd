package ops

import (
	"fmt"
	"math"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// GroupLasso is Σ_g ‖w_g‖₂, the sum over groups of each group's Euclidean
// norm (Yuan and Lin 2006). It drives whole groups to exactly zero under
// its proximal operator, the block soft threshold.
//
// The norm runs along Axis, as numpy's axis argument does: for a matrix,
// Axis 1 makes each row a group and Axis 0 each column. A negative Axis
// counts from the last axis. Axes, when not empty, lists every axis the
// norm runs along and overrides Axis. For a convolution weight shaped
// (out, in, kh, kw), Axes {1, 2, 3} makes each filter a group and
// Axes {0, 2, 3} each input channel. The zero value makes each column of
// a matrix a group, and a whole vector one group.
//
// A group that is entirely zero has gradient 0, not NaN.
type GroupLasso struct {
	Axis int
	Axes []int
}

var _ ProxTerm = GroupLasso{}

// String returns "GroupLasso{Axis:a}" or "GroupLasso{Axes:[...]}".
func (gl GroupLasso) String() string {
	if len(gl.Axes) > 0 {
		return fmt.Sprintf("GroupLasso{Axes:%v}", gl.Axes)
	}
	return fmt.Sprintf("GroupLasso{Axis:%d}", gl.Axis)
}

// groupScratch is the working memory of one call of a group term. It
// marks the axes the norm runs along, walks the groups and stores the
// group norms. Calls take it from groupScratchPool and put it back, so
// repeated calls on tensors of one shape reuse the same buffers.
type groupScratch struct {
	onNormAxis []bool // onNormAxis[k] is true when the norm runs along axis k
	index      groupIndex
	norms      []float64 // one per group
}

var groupScratchPool = sync.Pool{New: func() any { return new(groupScratch) }}

// release puts sc back into groupScratchPool without the reference to
// the last tensor's shape.
func (sc *groupScratch) release() {
	sc.index.shape = nil
	groupScratchPool.Put(sc)
}

// zeroed returns s with length n and every element zero, reusing its
// array when it is large enough.
func zeroed[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// plan prepares sc for gl and a tensor with the given shape. It marks
// the axes the norm runs along, sizes the group norms and sets them to
// zero, and starts the walk at the first element.
func (sc *groupScratch) plan(gl GroupLasso, shape tensor.Shape) error {
	d := len(shape)
	axes := gl.Axes
	if len(axes) == 0 {
		single := [1]int{gl.Axis}
		axes = single[:]
	}
	sc.onNormAxis = zeroed(sc.onNormAxis, d)
	for _, a := range axes {
		k := a
		if k < 0 {
			k += d
		}
		if k < 0 || k >= d {
			return errors.Errorf("ops: %v: axis %d is out of range for shape %v", gl, a, shape)
		}
		if sc.onNormAxis[k] {
			return errors.Errorf("ops: %v: axis %d is repeated", gl, a)
		}
		sc.onNormAxis[k] = true
	}
	groups := 1
	for k, n := range shape {
		if !sc.onNormAxis[k] {
			groups *= n
		}
	}
	sc.norms = zeroed(sc.norms, groups)
	sc.index.init(shape, sc.onNormAxis)
	return nil
}

// groupIndex walks a row-major tensor element by element and yields the
// group of each element, so no per-element table is allocated.
type groupIndex struct {
	shape  []int
	stride []int // group stride of each axis; 0 on norm axes
	coord  []int
	group  int
}

// init sets gi up for a tensor with the given shape, reusing its
// buffers, and starts it at the first element.
func (gi *groupIndex) init(shape tensor.Shape, onNormAxis []bool) {
	d := len(shape)
	gi.shape = shape
	gi.stride = zeroed(gi.stride, d)
	gi.coord = zeroed(gi.coord, d)
	gi.group = 0
	s := 1
	for k := d - 1; k >= 0; k-- {
		if !onNormAxis[k] {
			gi.stride[k] = s
			s *= shape[k]
		}
	}
}

// reset returns to the first element and yields gi for chaining.
func (gi *groupIndex) reset() *groupIndex {
	clear(gi.coord)
	gi.group = 0
	return gi
}

// next advances to the following element in row-major order.
func (gi *groupIndex) next() {
	for k := len(gi.coord) - 1; k >= 0; k-- {
		gi.coord[k]++
		gi.group += gi.stride[k]
		if gi.coord[k] < gi.shape[k] {
			return
		}
		gi.group -= gi.stride[k] * gi.coord[k]
		gi.coord[k] = 0
	}
}

// groupNorms stores the Euclidean norm of every group in norms, which
// must be zero on entry.
func groupNorms[T float](x []T, gi *groupIndex, norms []float64) {
	for _, v := range x {
		norms[gi.group] += float64(v) * float64(v)
		gi.next()
	}
	for g := range norms {
		norms[g] = math.Sqrt(norms[g])
	}
}

// groupNorms returns the Euclidean norm of every group of x in sc.norms.
// Call it once after each plan, because it adds into sc.norms.
func (sc *groupScratch) groupNorms(x elements) []float64 {
	if x.is32 {
		groupNorms(x.f32, &sc.index, sc.norms)
	} else {
		groupNorms(x.f64, &sc.index, sc.norms)
	}
	return sc.norms
}

// groupScale multiplies every element by the factor of its group.
func groupScale[T float](x, out []T, gi *groupIndex, factor []float64, add bool) {
	for i, v := range x {
		f := T(factor[gi.group])
		if add {
			out[i] += f * v
		} else {
			out[i] = f * v
		}
		gi.next()
	}
}

// scale sets every element of out to the factor of its group times the
// element of x, or adds that product when add is true. x and out have
// the same dtype and length.
func (sc *groupScratch) scale(x, out elements, factor []float64, add bool) {
	gi := sc.index.reset()
	if x.is32 {
		groupScale(x.f32, out.f32, gi, factor, add)
		return
	}
	groupScale(x.f64, out.f64, gi, factor, add)
}

// prepare returns the elements of w and a planned scratch, which the
// caller releases when it is done.
func (gl GroupLasso) prepare(w tensor.Tensor) (elements, *groupScratch, error) {
	x, err := backing(gl.String, "w", w)
	if err != nil {
		return elements{}, nil, err
	}
	sc := groupScratchPool.Get().(*groupScratch)
	if err := sc.plan(gl, w.Shape()); err != nil {
		sc.release()
		return elements{}, nil, err
	}
	return x, sc, nil
}

// Value returns Σ_g ‖w_g‖₂.
func (gl GroupLasso) Value(w tensor.Tensor) (float64, error) {
	x, sc, err := gl.prepare(w)
	if err != nil {
		return 0, err
	}
	defer sc.release()
	var s float64
	for _, n := range sc.groupNorms(x) {
		s += n
	}
	return s, nil
}

// AddGrad adds scale·w_g/‖w_g‖₂ into each group of grad, and nothing for
// a group whose norm is 0.
func (gl GroupLasso) AddGrad(w, grad tensor.Tensor, scale float64) error {
	if err := checkScale(gl.String, scale); err != nil {
		return err
	}
	_, g, err := pair(gl.String, w, grad)
	if err != nil {
		return err
	}
	x, sc, err := gl.prepare(w)
	if err != nil {
		return err
	}
	defer sc.release()
	factor := invertNorms(sc.groupNorms(x), scale, 0)
	sc.scale(x, g, factor, true)
	return nil
}

// Prox applies the block soft threshold w_g ← max(0, 1 − t/‖w_g‖₂)·w_g,
// which zeroes every group with norm ≤ t, in O(n). Repeated calls on
// tensors of one shape allocate nothing once the pooled scratch has grown
// to that shape. A garbage collection may empty the pool, and the next
// call then allocates it again.
func (gl GroupLasso) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(gl.String, t); err != nil {
		return err
	}
	x, sc, err := gl.prepare(w)
	if err != nil {
		return err
	}
	defer sc.release()
	factor := invertNorms(sc.groupNorms(x), t, 1)
	sc.scale(x, x, factor, false)
	return nil
}

// invertNorms turns group norms n into factors in place. With shrink 0
// the factor is scale/n, and with shrink 1 it is max(0, 1 − scale/n). A
// zero norm gets factor 0.
func invertNorms(norms []float64, scale float64, shrink int) []float64 {
	for g, n := range norms {
		switch {
		case shrink == 0 && n > 0:
			norms[g] = scale / n
		case shrink == 1 && n > scale:
			norms[g] = 1 - scale/n
		default:
			norms[g] = 0
		}
	}
	return norms
}
