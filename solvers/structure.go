package solvers

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Structure defines what a pruned unit is: a single weight or a group of
// weights pruned together. A unit's score is the sum of its weights'
// scores, and a target s on n units prunes round(s·n) whole units,
// rounded half away from zero, ties broken by the lower unit index.
type Structure interface {
	// units returns the number of units of a weight of the given shape
	// and each element's unit (nil when every element is its own unit).
	units(shape tensor.Shape) (int, []int32, error)
	String() string
}

// Unstructured prunes single weights.
type Unstructured struct{}

// Rows prunes whole rows of a 2-D weight. In Gorgonia's x×W layout a row
// contains every weight leaving one input.
type Rows struct{}

// Columns prunes whole columns of a 2-D weight. In Gorgonia's x×W layout a
// column contains every weight entering one output unit.
type Columns struct{}

// Filters prunes whole filters of a 4-D convolution weight of shape
// (out, in, kh, kw): all weights of one output channel.
type Filters struct{}

// Channels prunes whole input channels of a 4-D convolution weight of
// shape (out, in, kh, kw): the (out, kh, kw) weights reading one input.
type Channels struct{}

// Blocks prunes Rows×Cols blocks of a 2-D weight. The weight's dimensions
// must be multiples of the block's.
type Blocks struct{ Rows, Cols int }

// NM keeps N of every M consecutive weights along Axis, the input axis:
// axis 0 of a 2-D weight in Gorgonia's x×W layout, axis 1 of a 4-D
// convolution weight. A target s prunes min(round(s·M), M−N) weights of
// each run of M, so a schedule reaching (M−N)/M ends at the N:M pattern.
// The size of Axis must be a multiple of M.
type NM struct{ N, M, Axis int }

func (Unstructured) String() string { return "unstructured" }
func (Rows) String() string         { return "rows" }
func (Columns) String() string      { return "columns" }
func (Filters) String() string      { return "filters" }
func (Channels) String() string     { return "channels" }
func (b Blocks) String() string     { return fmt.Sprintf("blocks %d×%d", b.Rows, b.Cols) }
func (nm NM) String() string        { return fmt.Sprintf("%d:%d along axis %d", nm.N, nm.M, nm.Axis) }

func (Unstructured) units(shape tensor.Shape) (int, []int32, error) {
	return shape.TotalSize(), nil, nil
}

func (Rows) units(shape tensor.Shape) (int, []int32, error) {
	if len(shape) != 2 {
		return 0, nil, errors.New("rows need a 2-D weight")
	}
	idx := make([]int32, shape.TotalSize())
	for i := range idx {
		idx[i] = int32(i / shape[1])
	}
	return shape[0], idx, nil
}

func (Columns) units(shape tensor.Shape) (int, []int32, error) {
	if len(shape) != 2 {
		return 0, nil, errors.New("columns need a 2-D weight")
	}
	idx := make([]int32, shape.TotalSize())
	for i := range idx {
		idx[i] = int32(i % shape[1])
	}
	return shape[1], idx, nil
}

func (Filters) units(shape tensor.Shape) (int, []int32, error) {
	if len(shape) != 4 {
		return 0, nil, errors.New("filters need a 4-D weight (out, in, kh, kw)")
	}
	per := shape[1] * shape[2] * shape[3]
	idx := make([]int32, shape.TotalSize())
	for i := range idx {
		idx[i] = int32(i / per)
	}
	return shape[0], idx, nil
}

func (Channels) units(shape tensor.Shape) (int, []int32, error) {
	if len(shape) != 4 {
		return 0, nil, errors.New("channels need a 4-D weight (out, in, kh, kw)")
	}
	kernel := shape[2] * shape[3]
	idx := make([]int32, shape.TotalSize())
	for i := range idx {
		idx[i] = int32((i / kernel) % shape[1])
	}
	return shape[1], idx, nil
}

func (b Blocks) units(shape tensor.Shape) (int, []int32, error) {
	if b.Rows <= 0 || b.Cols <= 0 {
		return 0, nil, errors.Errorf("block %d×%d is not positive", b.Rows, b.Cols)
	}
	if len(shape) != 2 {
		return 0, nil, errors.Errorf("%s needs a 2-D weight", b)
	}
	if shape[0]%b.Rows != 0 || shape[1]%b.Cols != 0 {
		return 0, nil, errors.Errorf("%s does not tile the weight", b)
	}
	perRow := shape[1] / b.Cols
	idx := make([]int32, shape.TotalSize())
	for i := range idx {
		r, c := i/shape[1], i%shape[1]
		idx[i] = int32((r/b.Rows)*perRow + c/b.Cols)
	}
	return (shape[0] / b.Rows) * perRow, idx, nil
}

// units of NM are the runs of M weights. pruneNM selects inside each run,
// so the element map is not used.
func (nm NM) units(shape tensor.Shape) (int, []int32, error) {
	if nm.M <= 0 || nm.N <= 0 || nm.N >= nm.M {
		return 0, nil, errors.Errorf("%s needs 0 < N < M", nm)
	}
	if nm.Axis < 0 || nm.Axis >= len(shape) {
		return 0, nil, errors.Errorf("%s: the weight has no axis %d", nm, nm.Axis)
	}
	if shape[nm.Axis]%nm.M != 0 {
		return 0, nil, errors.Errorf("%s: axis size %d is not a multiple of %d",
			nm, shape[nm.Axis], nm.M)
	}
	return shape.TotalSize() / nm.M, nil, nil
}

// nmRuns returns, for an NM structure on shape, the stride between
// consecutive weights of a run along the axis, and calls visit with the
// first element of every run.
func nmRuns(nm NM, shape tensor.Shape, visit func(first, stride int)) {
	inner := 1
	for _, d := range shape[nm.Axis+1:] {
		inner *= d
	}
	axis := shape[nm.Axis]
	outer := shape.TotalSize() / (axis * inner)
	for o := 0; o < outer; o++ {
		for a := 0; a < axis; a += nm.M {
			for in := 0; in < inner; in++ {
				visit((o*axis+a)*inner+in, inner)
			}
		}
	}
}
