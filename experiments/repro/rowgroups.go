package repro

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// RowGroups is the group lasso Σ_g ‖W[G_g, :]‖_F over groups of rows of a
// 2-D weight: in Gorgonia's x×W layout, groups of inputs, such as the
// pixels of a 2×2 block of an image. Each group's weights are zeroed
// together by the proximal operator. Rows in no group are not penalised,
// and groups must not overlap, because the proximal operator is in
// closed form only for disjoint groups. It implements ops.ProxTerm.
//
// NOTE: unlike ops.GroupLasso, Value, AddGrad and Prox allocate on every
// call (the disjointness check, the group norms and the scale factors),
// so a wrapped solver's Step with this term allocates too.
type RowGroups struct {
	Groups [][]int
}

// String returns a description that covers every setting, so that two
// terms with different groups never describe alike.
func (r RowGroups) String() string { return fmt.Sprintf("RowGroups%v", r.Groups) }

// BlockGroups returns the groups of a rows×cols image's pixels (row-major
// inputs) split into size×size blocks, in row-major block order. The
// image's sides must be multiples of size.
func BlockGroups(rows, cols, size int) (RowGroups, error) {
	if size <= 0 || rows <= 0 || cols <= 0 || rows%size != 0 || cols%size != 0 {
		return RowGroups{}, errors.Errorf("repro: BlockGroups: %d×%d image does not split "+
			"into %d×%d blocks", rows, cols, size, size)
	}
	var groups [][]int
	for br := 0; br < rows; br += size {
		for bc := 0; bc < cols; bc += size {
			var g []int
			for r := br; r < br+size; r++ {
				for c := bc; c < bc+size; c++ {
					g = append(g, r*cols+c)
				}
			}
			groups = append(groups, g)
		}
	}
	return RowGroups{Groups: groups}, nil
}

// check returns w's shape after checking that it is a float matrix and
// that the groups are disjoint rows of it.
func (r RowGroups) check(w tensor.Tensor) (in, out int, err error) {
	shape := w.Shape()
	if len(shape) != 2 {
		return 0, 0, errors.Errorf("repro: RowGroups: weight shape %v, want a matrix", shape)
	}
	in, out = shape[0], shape[1]
	owner := make([]int, in)
	for g, rows := range r.Groups {
		for _, i := range rows {
			if i < 0 || i >= in {
				return 0, 0, errors.Errorf("repro: RowGroups: group %d contains row %d of a %d-row weight",
					g, i, in)
			}
			if owner[i] != 0 {
				return 0, 0, errors.Errorf("repro: RowGroups: row %d is in groups %d and %d",
					i, owner[i]-1, g)
			}
			owner[i] = g + 1
		}
	}
	switch w.Dtype() {
	case tensor.Float32, tensor.Float64:
	default:
		return 0, 0, errors.Errorf("repro: RowGroups: dtype %v, want float32 or float64", w.Dtype())
	}
	return in, out, nil
}

// Norms returns each group's Frobenius norm in w.
func (r RowGroups) Norms(w tensor.Tensor) ([]float64, error) {
	_, out, err := r.check(w)
	if err != nil {
		return nil, err
	}
	norms := make([]float64, len(r.Groups))
	switch data := w.Data().(type) {
	case []float32:
		for g, rows := range r.Groups {
			norms[g] = groupNorm(data, rows, out)
		}
	case []float64:
		for g, rows := range r.Groups {
			norms[g] = groupNorm(data, rows, out)
		}
	}
	return norms, nil
}

func groupNorm[T float32 | float64](data []T, rows []int, out int) float64 {
	var sq float64
	for _, i := range rows {
		for _, v := range data[i*out : (i+1)*out] {
			sq += float64(v) * float64(v)
		}
	}
	return math.Sqrt(sq)
}

// Value returns Σ_g ‖W[G_g, :]‖_F.
func (r RowGroups) Value(w tensor.Tensor) (float64, error) {
	norms, err := r.Norms(w)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, n := range norms {
		sum += n
	}
	return sum, nil
}

// AddGrad adds scale·W_g/‖W_g‖_F to each group's rows of grad; a zero
// group gets 0, the minimum-norm subgradient.
func (r RowGroups) AddGrad(w, grad tensor.Tensor, scale float64) error {
	norms, err := r.Norms(w)
	if err != nil {
		return err
	}
	if !grad.Shape().Eq(w.Shape()) || grad.Dtype() != w.Dtype() {
		return errors.Errorf("repro: RowGroups: AddGrad: grad is %v %v, weight is %v %v",
			grad.Shape(), grad.Dtype(), w.Shape(), w.Dtype())
	}
	out := w.Shape()[1]
	factor := make([]float64, len(norms))
	for g, n := range norms {
		if n > 0 {
			factor[g] = scale / n
		}
	}
	switch data := w.Data().(type) {
	case []float32:
		scaleGroups(grad.Data().([]float32), data, r.Groups, factor, out, true)
	case []float64:
		scaleGroups(grad.Data().([]float64), data, r.Groups, factor, out, true)
	}
	return nil
}

// Prox applies block soft thresholding: W_g ← W_g·max(0, 1 − t/‖W_g‖_F),
// which zeroes a group exactly when its norm is at most t. It costs
// O(Σ|G_g|·Out).
func (r RowGroups) Prox(w tensor.Tensor, t float64) error {
	if !(t >= 0) || math.IsInf(t, 0) {
		return errors.Errorf("repro: RowGroups: Prox: threshold (%v) must be finite and ≥ 0", t)
	}
	norms, err := r.Norms(w)
	if err != nil {
		return err
	}
	out := w.Shape()[1]
	factor := make([]float64, len(norms))
	for g, n := range norms {
		if n > t {
			factor[g] = 1 - t/n
		}
	}
	switch data := w.Data().(type) {
	case []float32:
		scaleGroups(data, data, r.Groups, factor, out, false)
	case []float64:
		scaleGroups(data, data, r.Groups, factor, out, false)
	}
	return nil
}

// scaleGroups sets dst_g = factor_g·src_g, or adds it when add is true.
func scaleGroups[T float32 | float64](dst, src []T, groups [][]int, factor []float64, out int,
	add bool) {
	for g, rows := range groups {
		f := T(factor[g])
		for _, i := range rows {
			d, s := dst[i*out:(i+1)*out], src[i*out:(i+1)*out]
			for k := range d {
				if add {
					d[k] += f * s[k]
				} else {
					d[k] = f * s[k]
				}
			}
		}
	}
}
