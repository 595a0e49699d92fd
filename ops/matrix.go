package ops

import (
	"fmt"
	"math"
	"math/rand"
	"sync"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// Matrix terms treat a tensor with two or more axes as a matrix with
// shape[0] rows and the product of the other axes as columns, so a
// convolution weight (out, in, kh, kw) is out×(in·kh·kw), one row per
// filter. A dense layer's weight (in, out) is used as it is.

// Orthogonality is ‖WᵀW − I‖²_F, which is 0 when the columns of W are
// orthonormal. Its gradient is 4·W(WᵀW − I). When W has fewer rows than
// columns the columns cannot be orthonormal and the minimum is
// columns − rows, not 0.
type Orthogonality struct{}

// Nuclear is the nuclear norm Σσᵢ, the sum of W's singular values, a
// convex surrogate of its rank. Its gradient is the subgradient U·Vᵀ from
// the thin SVD W = U·Σ·Vᵀ, and its proximal operator is singular value
// thresholding.
//
// NOTE: unlike the other proximal terms, Value, AddGrad and Prox allocate
// on every call: gonum's SVD copies W and allocates its factors, and the
// rebuilt matrix and the float64 copy of a float32 W are new each time.
type Nuclear struct{}

// Decorrelation is ½·Σ_{i≠j} C_ij², the squared off-diagonal covariance
// of a batch of activations A with one example per row (DeCov, Cogswell
// et al. 2016). C = (1/n)·(A − mean)ᵀ(A − mean) over the n rows. Its
// gradient is (2/n)·(A − mean)·C_off, with C_off the off-diagonal part
// of C.
type Decorrelation struct{}

// SpectralNorm is the largest singular value σ₁(W), the Lipschitz
// constant of the linear map x ↦ xW (and of Wx). It is estimated by
// power iteration on WᵀW: every call to Value or AddGrad runs Iters
// iterations starting from the singular vectors the previous call left,
// so one or two iterations per training step track σ₁ closely. Iters 0
// means 1, and a negative Iters is an error. The gradient is u₁v₁ᵀ, with
// u₁ and v₁ the estimated singular vectors. It is exact once the
// iteration has converged and σ₁ is simple.
//
// Because it keeps state, SpectralNorm is used through a pointer:
// &SpectralNorm{Iters: 2}. The first start vector is drawn from a
// math/rand source with seed 1, so runs are reproducible. The state is
// reset when W's shape changes and is guarded by a mutex.
type SpectralNorm struct {
	Iters int

	mu    sync.Mutex
	rows  int
	cols  int
	u, v  []float64 // left and right singular vector estimates
	sigma float64
}

var (
	_ Term     = Orthogonality{}
	_ ProxTerm = Nuclear{}
	_ Term     = Decorrelation{}
	_ Term     = (*SpectralNorm)(nil)
)

// matrixOf returns w as a float64 matrix and the backing elements of w.
// For float64 tensors the matrix shares w's memory and must not be
// changed. For float32 tensors it is a copy.
func matrixOf(term func() string, w tensor.Tensor) (*mat.Dense, elements, error) {
	x, err := backing(term, "w", w)
	if err != nil {
		return nil, elements{}, err
	}
	s := w.Shape()
	if len(s) < 2 {
		return nil, elements{}, errors.Errorf("ops: %s: w has shape %v, expected at least 2 axes",
			term(), s)
	}
	rows := s[0]
	cols := s.TotalSize() / rows
	if rows == 0 || cols == 0 {
		return nil, elements{}, errors.Errorf("ops: %s: w has empty shape %v", term(), s)
	}
	if !x.is32 {
		return mat.NewDense(rows, cols, x.f64), x, nil
	}
	d := make([]float64, len(x.f32))
	for i, v := range x.f32 {
		d[i] = float64(v)
	}
	return mat.NewDense(rows, cols, d), x, nil
}

// matrixGrad checks the arguments of a matrix term's AddGrad and returns
// w as a float64 matrix, as matrixOf does, and the elements of grad.
func matrixGrad(term func() string, w, grad tensor.Tensor,
	scale float64) (*mat.Dense, elements, error) {
	if err := checkScale(term, scale); err != nil {
		return nil, elements{}, err
	}
	_, g, err := pair(term, w, grad)
	if err != nil {
		return nil, elements{}, err
	}
	m, _, err := matrixOf(term, w)
	if err != nil {
		return nil, elements{}, err
	}
	return m, g, nil
}

// addScaled adds scale·src into dst, which has src's number of elements.
func addScaled(dst elements, src *mat.Dense, scale float64) {
	raw := src.RawMatrix()
	if !dst.is32 {
		for i := range dst.f64 {
			dst.f64[i] += scale * raw.Data[i]
		}
		return
	}
	for i := range dst.f32 {
		dst.f32[i] += float32(scale * raw.Data[i])
	}
}

// setFrom overwrites dst with src.
func setFrom(dst elements, src *mat.Dense) {
	raw := src.RawMatrix()
	if !dst.is32 {
		copy(dst.f64, raw.Data)
		return
	}
	for i := range dst.f32 {
		dst.f32[i] = float32(raw.Data[i])
	}
}

// String returns "Orthogonality".
func (Orthogonality) String() string { return "Orthogonality" }

// gram returns WᵀW − I.
func (Orthogonality) gram(w *mat.Dense) *mat.Dense {
	_, c := w.Dims()
	var d mat.Dense
	d.Mul(w.T(), w)
	for i := 0; i < c; i++ {
		d.Set(i, i, d.At(i, i)-1)
	}
	return &d
}

// Value returns ‖WᵀW − I‖²_F in O(rows·cols²).
func (o Orthogonality) Value(w tensor.Tensor) (float64, error) {
	m, _, err := matrixOf(named("Orthogonality"), w)
	if err != nil {
		return 0, err
	}
	n := mat.Norm(o.gram(m), 2)
	return n * n, nil
}

// AddGrad adds scale·4·W(WᵀW − I) into grad.
func (o Orthogonality) AddGrad(w, grad tensor.Tensor, scale float64) error {
	m, g, err := matrixGrad(named("Orthogonality"), w, grad, scale)
	if err != nil {
		return err
	}
	var d mat.Dense
	d.Mul(m, o.gram(m))
	addScaled(g, &d, 4*scale)
	return nil
}

// String returns "Nuclear".
func (Nuclear) String() string { return "Nuclear" }

func thinSVD(term string, m *mat.Dense) (*mat.SVD, error) {
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDThin) {
		return nil, errors.Errorf("ops: %s: SVD of the %d×%d matrix did not converge",
			term, m.RawMatrix().Rows, m.RawMatrix().Cols)
	}
	return &svd, nil
}

// Value returns Σσᵢ, from a thin SVD in O(rows·cols·min(rows, cols)).
func (Nuclear) Value(w tensor.Tensor) (float64, error) {
	m, _, err := matrixOf(named("Nuclear"), w)
	if err != nil {
		return 0, err
	}
	svd, err := thinSVD("Nuclear", m)
	if err != nil {
		return 0, err
	}
	var s float64
	for _, v := range svd.Values(nil) {
		s += v
	}
	return s, nil
}

// AddGrad adds scale·U·Vᵀ into grad, from the thin SVD W = U·Σ·Vᵀ.
// Singular vectors of zero singular values are left out, so the result
// is the minimum-norm subgradient when W is rank deficient.
func (Nuclear) AddGrad(w, grad tensor.Tensor, scale float64) error {
	m, g, err := matrixGrad(named("Nuclear"), w, grad, scale)
	if err != nil {
		return err
	}
	svd, err := thinSVD("Nuclear", m)
	if err != nil {
		return err
	}
	d := svdRebuild(svd, func(s float64) float64 {
		if s > 0 {
			return 1
		}
		return 0
	})
	addScaled(g, d, scale)
	return nil
}

// Prox applies singular value thresholding, W ← U·max(Σ − t, 0)·Vᵀ, in
// O(rows·cols·min(rows, cols)).
func (Nuclear) Prox(w tensor.Tensor, t float64) error {
	if err := checkThreshold(named("Nuclear"), t); err != nil {
		return err
	}
	m, x, err := matrixOf(named("Nuclear"), w)
	if err != nil {
		return err
	}
	svd, err := thinSVD("Nuclear", m)
	if err != nil {
		return err
	}
	d := svdRebuild(svd, func(s float64) float64 { return math.Max(s-t, 0) })
	setFrom(x, d)
	return nil
}

// svdRebuild returns U·f(Σ)·Vᵀ.
func svdRebuild(svd *mat.SVD, f func(float64) float64) *mat.Dense {
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	s := svd.Values(nil)
	for j, sj := range s {
		fs := f(sj)
		for i := 0; i < u.RawMatrix().Rows; i++ {
			u.Set(i, j, u.At(i, j)*fs)
		}
	}
	var d mat.Dense
	d.Mul(&u, v.T())
	return &d
}

// String returns "Decorrelation".
func (Decorrelation) String() string { return "Decorrelation" }

// covariance returns the centred activations and their covariance with
// the diagonal set to 0.
func (Decorrelation) covariance(a *mat.Dense) (centred, off *mat.Dense) {
	n, d := a.Dims()
	centred = mat.DenseCopyOf(a)
	for j := 0; j < d; j++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += centred.At(i, j)
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			centred.Set(i, j, centred.At(i, j)-mean)
		}
	}
	off = &mat.Dense{}
	off.Mul(centred.T(), centred)
	off.Scale(1/float64(n), off)
	for j := 0; j < d; j++ {
		off.Set(j, j, 0)
	}
	return centred, off
}

// Value returns ½·Σ_{i≠j} C_ij² in O(n·d²) for n rows and d columns.
func (dc Decorrelation) Value(w tensor.Tensor) (float64, error) {
	a, _, err := matrixOf(named("Decorrelation"), w)
	if err != nil {
		return 0, err
	}
	_, off := dc.covariance(a)
	n := mat.Norm(off, 2)
	return n * n / 2, nil
}

// AddGrad adds scale·(2/n)·(A − mean)·C_off into grad.
func (dc Decorrelation) AddGrad(w, grad tensor.Tensor, scale float64) error {
	a, g, err := matrixGrad(named("Decorrelation"), w, grad, scale)
	if err != nil {
		return err
	}
	centred, off := dc.covariance(a)
	var d mat.Dense
	d.Mul(centred, off)
	n, _ := a.Dims()
	addScaled(g, &d, scale*2/float64(n))
	return nil
}

// String returns "SpectralNorm{Iters:k}".
func (sn *SpectralNorm) String() string { return fmt.Sprintf("SpectralNorm{Iters:%d}", sn.Iters) }

// iterate runs the power iteration on m and returns σ₁'s estimate ‖Wv‖.
// The caller holds sn.mu.
func (sn *SpectralNorm) iterate(m *mat.Dense) (float64, error) {
	iters := sn.Iters
	if iters < 0 {
		return 0, errors.Errorf("ops: %v: Iters (%d) is negative", sn, sn.Iters)
	}
	if iters == 0 {
		iters = 1
	}

	r, c := m.Dims()
	if sn.rows != r || sn.cols != c || sn.u == nil {
		sn.rows, sn.cols = r, c
		sn.u, sn.v = make([]float64, r), make([]float64, c)
		rng := rand.New(rand.NewSource(1))
		for i := range sn.u {
			sn.u[i] = rng.NormFloat64()
		}
		normalize(sn.u)
		for i := range sn.v {
			sn.v[i] = 1 / math.Sqrt(float64(c))
		}
	}

	u, v := mat.NewVecDense(r, sn.u), mat.NewVecDense(c, sn.v)
	var wv, wtu mat.VecDense
	for k := 0; k < iters; k++ {
		wtu.MulVec(m.T(), u)
		if normalize(wtu.RawVector().Data) == 0 {
			break // Wᵀu is 0, as when W is 0, so keep the previous vectors.
		}
		v.CopyVec(&wtu)
		wv.MulVec(m, v)
		if normalize(wv.RawVector().Data) == 0 {
			break
		}
		u.CopyVec(&wv)
	}

	wv.MulVec(m, v)
	sn.sigma = mat.Norm(&wv, 2)
	return sn.sigma, nil
}

// normalize scales x to unit Euclidean norm unless it is 0, and returns
// its norm before scaling.
func normalize(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	n := math.Sqrt(s)
	if n > 0 {
		for i := range x {
			x[i] /= n
		}
	}
	return n
}

// Value runs Iters power iterations and returns the estimate of σ₁.
func (sn *SpectralNorm) Value(w tensor.Tensor) (float64, error) {
	m, _, err := matrixOf(sn.String, w)
	if err != nil {
		return 0, err
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.iterate(m)
}

// AddGrad runs Iters power iterations and adds scale·u₁v₁ᵀ into grad.
func (sn *SpectralNorm) AddGrad(w, grad tensor.Tensor, scale float64) error {
	m, g, err := matrixGrad(sn.String, w, grad, scale)
	if err != nil {
		return err
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if _, err := sn.iterate(m); err != nil {
		return err
	}
	var d mat.Dense
	d.Outer(1, mat.NewVecDense(sn.rows, sn.u), mat.NewVecDense(sn.cols, sn.v))
	addScaled(g, &d, scale)
	return nil
}
