package repro

import (
	"math"
	"math/rand"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/regsched/regsched/experiments/datasets"
)

// Sensitivity summarises how much a net's logits move when its inputs
// move.
type Sensitivity struct {
	// Radius is the L2 norm of every random perturbation δ.
	Radius float64
	// MeanRatio and MaxRatio are the mean and maximum over samples and
	// draws of ‖f(x+δ) − f(x)‖₂ / ‖δ‖₂.
	MeanRatio, MaxRatio float64
	// FlipRate is the fraction of perturbed samples whose predicted class
	// differs from the unperturbed prediction.
	FlipRate float64
	// MeanJacobian and MaxJacobian are the mean and maximum over samples
	// of the spectral norm of ∂f/∂x at x: the local Lipschitz constant
	// of the ReLU net around x.
	MeanJacobian, MaxJacobian float64
	// LipschitzBound is Π‖W_l‖₂, an upper bound on the global Lipschitz
	// constant because ReLU is 1-Lipschitz.
	LipschitzBound float64
}

// SpectralNorms returns the largest singular value of each layer's W.
func SpectralNorms(n *Net) ([]float64, error) {
	var norms []float64
	for l, layer := range n.Layers {
		w := mat.NewDense(layer.In, layer.Out, toFloat64(layer.W))
		var svd mat.SVD
		if !svd.Factorize(w, mat.SVDNone) {
			return nil, errors.Errorf("repro: SpectralNorms: SVD of layer %d failed", l)
		}
		norms = append(norms, svd.Values(nil)[0])
	}
	return norms, nil
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// MeasureSensitivity perturbs each of d's samples draws times by a
// direction drawn uniformly on the sphere of the given radius (from a
// source seeded with seed) and measures the response, and computes the
// Jacobian spectral norm at every sample. The cost is O(draws·forward)
// plus one Jacobian and its SVD per sample, so use a subset of a large
// set.
func MeasureSensitivity(n *Net, d *datasets.Set, radius float64, draws int,
	seed int64) (Sensitivity, error) {
	if !(radius > 0) || math.IsInf(radius, 0) {
		return Sensitivity{}, errors.Errorf("repro: MeasureSensitivity: radius (%v) must be positive", radius)
	}
	if draws <= 0 {
		return Sensitivity{}, errors.Errorf("repro: MeasureSensitivity: draws (%d) must be positive", draws)
	}
	if n.Inputs != nil || d.Features != n.Layers[0].In {
		return Sensitivity{}, errors.Errorf("repro: MeasureSensitivity: data has %d features, net takes %d",
			d.Features, n.InputWidth())
	}
	norms, err := SpectralNorms(n)
	if err != nil {
		return Sensitivity{}, err
	}
	s := Sensitivity{Radius: radius, LipschitzBound: 1}
	for _, v := range norms {
		s.LipschitzBound *= v
	}

	rng := rand.New(rand.NewSource(seed))
	f := d.Features
	out := n.Layers[len(n.Layers)-1].Out
	x := toFloat32(d.X)
	base, err := n.Forward(x, d.Rows)
	if err != nil {
		return Sensitivity{}, err
	}
	base = append([]float32(nil), base...)
	moved := make([]float32, len(x))
	var ratios, flips int
	for draw := 0; draw < draws; draw++ {
		for i := 0; i < d.Rows; i++ {
			perturb(moved[i*f:(i+1)*f], x[i*f:(i+1)*f], radius, rng)
		}
		y, err := n.Forward(moved, d.Rows)
		if err != nil {
			return Sensitivity{}, err
		}
		for i := 0; i < d.Rows; i++ {
			a, b := base[i*out:(i+1)*out], y[i*out:(i+1)*out]
			var sq float64
			for k := range a {
				dv := float64(b[k]) - float64(a[k])
				sq += dv * dv
			}
			r := math.Sqrt(sq) / radius
			s.MeanRatio += r
			s.MaxRatio = math.Max(s.MaxRatio, r)
			ratios++
			if argmax(a) != argmax(b) {
				flips++
			}
		}
	}
	s.MeanRatio /= float64(ratios)
	s.FlipRate = float64(flips) / float64(ratios)

	for i := 0; i < d.Rows; i++ {
		j, err := jacobianNorm(n, d.Row(i))
		if err != nil {
			return Sensitivity{}, err
		}
		s.MeanJacobian += j
		s.MaxJacobian = math.Max(s.MaxJacobian, j)
	}
	s.MeanJacobian /= float64(d.Rows)
	return s, nil
}

// perturb writes x + δ into dst, with δ uniform on the sphere of radius r.
func perturb(dst, x []float32, r float64, rng *rand.Rand) {
	var sq float64
	for i := range dst {
		v := rng.NormFloat64()
		dst[i] = float32(v)
		sq += v * v
	}
	scale := r / math.Sqrt(sq)
	for i := range dst {
		dst[i] = x[i] + float32(float64(dst[i])*scale)
	}
}

// jacobianNorm returns the spectral norm of ∂f/∂x at x for a ReLU net:
// J = W_Lᵀ·D_{L−1}·…·D_1·W_1ᵀ, where D_l masks the units that are
// active at x. A unit with pre-activation exactly 0 counts as inactive.
func jacobianNorm(n *Net, x []float64) (float64, error) {
	in := n.Layers[0].In
	act := x
	var jt *mat.Dense // ∂h/∂x transposed: in × units
	for li, l := range n.Layers {
		w := mat.NewDense(l.In, l.Out, toFloat64(l.W))
		pre := make([]float64, l.Out)
		copy(pre, toFloat64(l.B))
		for i, a := range act {
			if a == 0 {
				continue
			}
			for j := 0; j < l.Out; j++ {
				pre[j] += a * w.At(i, j)
			}
		}
		next := mat.NewDense(in, l.Out, nil)
		if jt == nil {
			next.Copy(w)
		} else {
			next.Mul(jt, w)
		}
		if li+1 < len(n.Layers) {
			for j, v := range pre {
				if v <= 0 {
					pre[j] = 0
					for r := 0; r < in; r++ {
						next.Set(r, j, 0)
					}
				}
			}
		}
		jt, act = next, pre
	}
	var svd mat.SVD
	if !svd.Factorize(jt, mat.SVDNone) {
		return 0, errors.New("repro: SVD of the input Jacobian failed")
	}
	return svd.Values(nil)[0], nil
}
