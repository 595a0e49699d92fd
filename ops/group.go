package ops

import (
	"fmt"
	"math"

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

// normAxes returns a mask of the axes the norm runs along for a tensor
// with the given shape, and the number of groups.
func (gl GroupLasso) normAxes(shape tensor.Shape) ([]bool, int, error) {
	d := len(shape)
	axes := gl.Axes
	if len(axes) == 0 {
		axes = []int{gl.Axis}
	}
	mask := make([]bool, d)
	for _, a := range axes {
		k := a
		if k < 0 {
			k += d
		}
		if k < 0 || k >= d {
			return nil, 0, errors.Errorf("ops: %v: axis %d is out of range for shape %v", gl, a, shape)
		}
		if mask[k] {
			return nil, 0, errors.Errorf("ops: %v: axis %d is repeated", gl, a)
		}
		mask[k] = true
	}
	groups := 1
	for k, n := range shape {
		if !mask[k] {
			groups *= n
		}
	}
	return mask, groups, nil
}

// groupIndex walks a row-major tensor element by element and yields the
// group of each element, so no per-element table is allocated.
type groupIndex struct {
	shape  []int
	stride []int // group stride of each axis; 0 on norm axes
	coord  []int
	group  int
}

func newGroupIndex(shape tensor.Shape, mask []bool) *groupIndex {
	d := len(shape)
	gi := &groupIndex{shape: shape, stride: make([]int, d), coord: make([]int, d)}
	s := 1
	for k := d - 1; k >= 0; k-- {
		if !mask[k] {
			gi.stride[k] = s
			s *= shape[k]
		}
	}
	return gi
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

// groupNorms returns the Euclidean norm of every group.
func groupNorms[T float](x []T, gi *groupIndex, groups int) []float64 {
	sq := make([]float64, groups)
	for _, v := range x {
		sq[gi.group] += float64(v) * float64(v)
		gi.next()
	}
	for g := range sq {
		sq[g] = math.Sqrt(sq[g])
	}
	return sq
}

// anyGroupNorms is groupNorms for x a []float32 or []float64.
func anyGroupNorms(x any, gi *groupIndex, groups int) []float64 {
	if x, ok := x.([]float32); ok {
		return groupNorms(x, gi, groups)
	}
	return groupNorms(x.([]float64), gi, groups)
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

// anyGroupScale is groupScale for x and out both []float32 or both
// []float64.
func anyGroupScale(x, out any, gi *groupIndex, factor []float64, add bool) {
	if x, ok := x.([]float32); ok {
		groupScale(x, out.([]float32), gi, factor, add)
		return
	}
	groupScale(x.([]float64), out.([]float64), gi, factor, add)
}

func (gl GroupLasso) prepare(w tensor.Tensor) (any, *groupIndex, int, error) {
	x, err := backing(gl.String(), "w", w)
	if err != nil {
		return nil, nil, 0, err
	}
	mask, groups, err := gl.normAxes(w.Shape())
	if err != nil {
		return nil, nil, 0, err
	}
	return x, newGroupIndex(w.Shape(), mask), groups, nil
}

// Value returns Σ_g ‖w_g‖₂.
func (gl GroupLasso) Value(w tensor.Tensor) (float64, error) {
	x, gi, groups, err := gl.prepare(w)
	if err != nil {
		return 0, err
	}
	var s float64
	for _, n := range anyGroupNorms(x, gi, groups) {
		s += n
	}
	return s, nil
}

// AddGrad adds scale·w_g/‖w_g‖₂ into each group of grad, and nothing for
// a group whose norm is 0.
func (gl GroupLasso) AddGrad(w, grad tensor.Tensor, scale float64) error {
	if err := checkScale(gl.String(), scale); err != nil {
		return err
	}
	if _, _, err := pair(gl.String(), w, grad); err != nil {
		return err
	}
	x, gi, groups, err := gl.prepare(w)
	if err != nil {
		return err
	}
	factor := invertNorms(anyGroupNorms(x, gi, groups), scale, 0)
	anyGroupScale(x, grad.Data(), gi.reset(), factor, true)
	return nil
}

// Prox applies the block soft threshold w_g ← max(0, 1 − t/‖w_g‖₂)·w_g,
// which zeroes every group with norm ≤ t, in O(n).
func (gl GroupLasso) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(gl.String(), t); err != nil {
		return err
	}
	x, gi, groups, err := gl.prepare(w)
	if err != nil {
		return err
	}
	factor := invertNorms(anyGroupNorms(x, gi, groups), t, 1)
	anyGroupScale(x, x, gi.reset(), factor, false)
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
