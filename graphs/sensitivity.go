package graphs

import (
	"math"
	"math/rand"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SensitivityConfig configures a SensitivityProbe.
type SensitivityConfig struct {
	// Radius is the Euclidean norm of the perturbation added to each row
	// of the input. The zero value selects 1e-3.
	Radius float64
	// Samples is the number of random perturbations per Measure call.
	// The zero value selects 4.
	Samples int
	// Seed seeds the math/rand source of perturbation directions. The
	// source lives as long as the probe, so successive calls draw new
	// directions in a reproducible sequence.
	Seed int64
}

// Sensitivity is the outcome of one SensitivityProbe.Measure call: ratios
// ‖f(x+δ) − f(x)‖/‖δ‖ over the rows of the batch and the samples drawn.
type Sensitivity struct {
	Mean, Max float64
	// Ratios is the number of ratios averaged: rows × samples.
	Ratios int
}

// SensitivityProbe estimates how strongly a network's output moves when
// its input is perturbed. In each of Samples draws, for each row r of the
// input batch x, it draws a direction uniformly on the sphere, scales it
// to norm Radius, and computes ‖f(x_r+δ_r) − f(x_r)‖/‖δ_r‖ on the output
// row r. This is a finite-perturbation estimate of the local Lipschitz
// constant (the input-Jacobian's gain in random directions), not the
// input-gradient norm. It needs no gradient nodes and costs Samples+1
// forward passes.
// Feed the Mean to an adaptive policy as a stability signal.
//
// A SensitivityProbe is not safe for concurrent use, and must not run
// while another machine is evaluating the same graph.
type SensitivityProbe struct {
	out, x *gorgonia.Node
	vm     gorgonia.VM
	cfg    SensitivityConfig
	rng    *rand.Rand
}

// NewSensitivityProbe compiles a forward-only TapeMachine for the part of
// out's graph that out depends on. out and x must share the graph and
// their first axes (the batch). x must be a float32 or float64 matrix or
// higher-rank tensor, and out a tensor of the same dtype.
func NewSensitivityProbe(out, x *gorgonia.Node, cfg SensitivityConfig) (p *SensitivityProbe, err error) {
	switch {
	case out == nil || x == nil:
		return nil, errors.New("graphs: NewSensitivityProbe: out or x is nil")
	case out.Graph() != x.Graph():
		return nil, errors.Errorf("graphs: NewSensitivityProbe: out (%v) and x (%v) are in "+
			"different graphs", out.Name(), x.Name())
	case x.Dims() < 2 || out.Dims() < 1:
		return nil, errors.Errorf("graphs: NewSensitivityProbe: x (%v) has shape %v and out (%v) "+
			"shape %v, expected a batch axis first in both", x.Name(), x.Shape(), out.Name(), out.Shape())
	case x.Shape()[0] != out.Shape()[0]:
		return nil, errors.Errorf("graphs: NewSensitivityProbe: x (%v) has %d rows but out (%v) "+
			"has %d", x.Name(), x.Shape()[0], out.Name(), out.Shape()[0])
	case x.Dtype() != tensor.Float32 && x.Dtype() != tensor.Float64:
		return nil, errors.Errorf("graphs: NewSensitivityProbe: x (%v) has dtype %v, expected "+
			"float32 or float64", x.Name(), x.Dtype())
	}
	if cfg.Radius == 0 {
		cfg.Radius = 1e-3
	}
	if cfg.Samples == 0 {
		cfg.Samples = 4
	}
	if !(cfg.Radius > 0) || math.IsInf(cfg.Radius, 1) || cfg.Samples < 0 {
		return nil, errors.Errorf("graphs: NewSensitivityProbe: Radius (%v) must be positive and "+
			"finite and Samples (%d) non-negative", cfg.Radius, cfg.Samples)
	}

	// NewTapeMachine panics when the graph does not compile.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, errors.Errorf("graphs: NewSensitivityProbe: compiling: %v", r)
		}
	}()
	vm := gorgonia.NewTapeMachine(out.Graph().SubgraphRoots(out))
	return &SensitivityProbe{out: out, x: x, vm: vm, cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed))}, nil
}

// Measure perturbs the current value of x Samples times and returns the
// ratios' mean and maximum. x is restored bit for bit before Measure
// returns, even on error.
func (p *SensitivityProbe) Measure() (Sensitivity, error) {
	xt, ok := p.x.Value().(tensor.Tensor)
	if !ok || xt == nil {
		return Sensitivity{}, errors.Errorf("graphs: Sensitivity: x (%v) has no tensor value", p.x.Name())
	}
	get, set, _ := accessors(xt)
	n := xt.Shape().TotalSize()
	rows := xt.Shape()[0]
	width := n / rows
	orig := make([]float64, n)
	for i := range orig {
		orig[i] = get(i)
	}
	defer func() {
		for i, v := range orig {
			set(i, v)
		}
	}()

	base, err := p.forward()
	if err != nil {
		return Sensitivity{}, err
	}
	outWidth := len(base) / rows
	var s Sensitivity
	delta := make([]float64, width)
	for k := 0; k < p.cfg.Samples; k++ {
		for r := 0; r < rows; r++ {
			for j := range delta {
				delta[j] = p.rng.NormFloat64()
			}
			scale := p.cfg.Radius / math.Sqrt(sumSq(delta))
			for j, d := range delta {
				set(r*width+j, orig[r*width+j]+d*scale)
			}
		}
		out, err := p.forward()
		if err != nil {
			return Sensitivity{}, err
		}
		for r := 0; r < rows; r++ {
			// Use the perturbation as stored, after rounding to x's dtype.
			var dd, do float64
			for j := 0; j < width; j++ {
				d := get(r*width+j) - orig[r*width+j]
				dd += d * d
			}
			for j := 0; j < outWidth; j++ {
				d := out[r*outWidth+j] - base[r*outWidth+j]
				do += d * d
			}
			ratio := math.Sqrt(do / dd)
			s.Mean += ratio
			s.Max = math.Max(s.Max, ratio)
			s.Ratios++
		}
	}
	if s.Ratios > 0 {
		s.Mean /= float64(s.Ratios)
	}
	return s, nil
}

// forward runs the machine and returns a copy of out's value.
func (p *SensitivityProbe) forward() ([]float64, error) {
	p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return nil, errors.Wrap(err, "graphs: Sensitivity: forward pass")
	}
	d, err := floatData(p.out.Value())
	if err != nil {
		return nil, errors.Wrapf(err, "graphs: Sensitivity: out (%v)", p.out.Name())
	}
	return d, nil
}

// Close releases the probe's machine.
func (p *SensitivityProbe) Close() error { return p.vm.Close() }

func sumSq(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

// InputGradient contains the norms that MeasureInputGradient returns.
type InputGradient struct {
	// Mean and Max are the mean and maximum over the rows r of the input
	// batch of ‖∂cost/∂x_r‖₂.
	Mean, Max float64
	// Norm is ‖∂cost/∂x‖₂ over the whole batch, all rows together.
	Norm float64
}

// MeasureInputGradient returns the norms of the gradient of the cost
// with respect to the input batch x, as the last run of the graph left
// it. This is the quantity that double backpropagation penalizes. A small
// input gradient means the cost barely moves under small input
// perturbations. Feed the Mean to an adaptive policy as a stability
// signal.
//
// x needs a gradient: pass it to gorgonia.Grad together with the
// parameters, because Gorgonia v0.9.18 differentiates a graph only once
// and a second Grad call fails. MeasureInputGradient reads the value of
// x's gradient node, which a TapeMachine computes on every run, or else
// x's bound gradient, which the LispMachine fills. It runs no pass of its
// own and takes O(len(x)).
//
// The norms carry the cost's reduction over the batch: when the cost is
// a mean over B rows, each row's gradient is 1/B of that row's own loss
// gradient.
func MeasureInputGradient(x *gorgonia.Node) (InputGradient, error) {
	if x == nil {
		return InputGradient{}, errors.New("graphs: MeasureInputGradient: x is nil")
	}
	if x.Dims() < 2 {
		return InputGradient{}, errors.Errorf("graphs: MeasureInputGradient: x (%v) has shape %v, "+
			"expected a batch axis and at least one more", x.Name(), x.Shape())
	}

	var v gorgonia.Value
	if dx := x.Deriv(); dx != nil && dx.Value() != nil {
		v = dx.Value()
	} else if gv, err := x.Grad(); err == nil {
		v = gv
	} else {
		return InputGradient{}, errors.Errorf("graphs: MeasureInputGradient: x (%v) has no "+
			"gradient; pass it to gorgonia.Grad and run the graph first", x.Name())
	}
	d, err := floatData(v)
	if err != nil {
		return InputGradient{}, errors.Wrapf(err, "graphs: MeasureInputGradient: gradient of %v",
			x.Name())
	}
	rows := x.Shape()[0]
	if rows == 0 || len(d) != x.Shape().TotalSize() {
		return InputGradient{}, errors.Errorf("graphs: MeasureInputGradient: gradient of %v has "+
			"%d elements, expected %d for shape %v", x.Name(), len(d), x.Shape().TotalSize(), x.Shape())
	}

	width := len(d) / rows
	var g InputGradient
	for r := 0; r < rows; r++ {
		sq := sumSq(d[r*width : (r+1)*width])
		n := math.Sqrt(sq)
		g.Mean += n
		g.Max = math.Max(g.Max, n)
		g.Norm += sq
	}
	g.Mean /= float64(rows)
	g.Norm = math.Sqrt(g.Norm)
	return g, nil
}
