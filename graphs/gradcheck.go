package graphs

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Report is the outcome of CheckGradient.
type Report struct {
	// OK is true when every checked element's error is within the
	// tolerance.
	OK bool
	// Checked is the number of elements compared.
	Checked int
	// MaxError is the largest error found, as defined at CheckGradient.
	MaxError float64
	// Tolerance is the tolerance the errors were compared against.
	Tolerance float64
	// Node is the name of the node holding the worst element, Index its
	// coordinates in that node and Flat its row-major offset.
	Node  string
	Index []int
	Flat  int
	// Analytic is the worst element's gradient from the graph, and
	// Numeric its central-difference estimate.
	Analytic, Numeric float64
}

// String describes the worst element.
func (r Report) String() string {
	status := "ok"
	if !r.OK {
		status = "FAILED"
	}
	return fmt.Sprintf("gradient check %s: %d elements, max error %.3g (tolerance %.3g) at %s%v: "+
		"analytic %.6g, numeric %.6g", status, r.Checked, r.MaxError, r.Tolerance, r.Node,
		r.Index, r.Analytic, r.Numeric)
}

// CheckOption configures CheckGradient.
type CheckOption func(*checkConfig)

type checkConfig struct {
	step, tol, floor float64
	maxElems         int
	seed             int64
}

// WithStep sets the central-difference step h, applied as h·max(1, |wᵢ|).
// The default is 1e-6 for float64 and 1e-3 for float32 graphs.
func WithStep(h float64) CheckOption { return func(c *checkConfig) { c.step = h } }

// WithTolerance sets the largest accepted error. The default is 1e-6 for
// float64 and 1e-2 for float32 graphs.
func WithTolerance(tol float64) CheckOption { return func(c *checkConfig) { c.tol = tol } }

// WithFloor sets the absolute floor of the error's denominator, so that
// gradients near zero are compared absolutely. The default is 1.
func WithFloor(f float64) CheckOption { return func(c *checkConfig) { c.floor = f } }

// WithSample checks at most n elements of each node, chosen uniformly
// without replacement by a math/rand source seeded with seed. The default
// checks every element, and sampling keeps large layers affordable.
func WithSample(n int, seed int64) CheckOption {
	return func(c *checkConfig) { c.maxElems, c.seed = n, seed }
}

// CheckGradient compares the gradient of the scalar cost with respect to
// each node in wrt, as the graph computes it on a TapeMachine, with
// central differences (f(w+h) − f(w−h))/(2h) of a forward-only
// TapeMachine. The error of an element is
//
//	|analytic − numeric| / max(floor, |analytic|, |numeric|),
//
// relative for large gradients and absolute below the floor. The report
// names the worst element. A mismatch is Report.OK == false, not an
// error.
//
// When the nodes of wrt have no gradient nodes yet, CheckGradient calls
// gorgonia.Grad(cost, wrt...), which adds them to the graph. Every node
// the cost depends on must have a value. The values of wrt are perturbed
// in place, one element at a time, and restored bit for bit. Each checked
// element costs two forward passes.
//
// CheckGradient returns an error when cost is not a scalar, a node of wrt
// is nil, not in cost's graph or not a float tensor, or a machine fails.
func CheckGradient(cost *gorgonia.Node, wrt gorgonia.Nodes, opts ...CheckOption) (rep Report, err error) {
	if err := checkGradientArgs(cost, wrt); err != nil {
		return Report{}, err
	}
	cfg := checkConfig{floor: 1}
	if cost.Dtype() == tensor.Float32 {
		cfg.step, cfg.tol = 1e-3, 1e-2
	} else {
		cfg.step, cfg.tol = 1e-6, 1e-6
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if !(cfg.step > 0) || !(cfg.tol > 0) || !(cfg.floor > 0) {
		return Report{}, errors.Errorf("graphs: CheckGradient: step (%v), tolerance (%v) and "+
			"floor (%v) must be positive", cfg.step, cfg.tol, cfg.floor)
	}

	// NewTapeMachine panics when the graph does not compile.
	defer func() {
		if p := recover(); p != nil {
			err = errors.Errorf("graphs: CheckGradient: building a machine: %v", p)
		}
	}()

	analytic, err := analyticGradients(cost, wrt)
	if err != nil {
		return Report{}, err
	}
	fwd := gorgonia.NewTapeMachine(cost.Graph().SubgraphRoots(cost))
	defer fwd.Close()
	eval := func() (float64, error) {
		fwd.Reset()
		if err := fwd.RunAll(); err != nil {
			return 0, errors.Wrap(err, "graphs: CheckGradient: forward pass")
		}
		v, err := scalarFloat(cost.Value())
		return v, err
	}

	rep = Report{OK: true, Tolerance: cfg.tol, Flat: -1}
	for k, w := range wrt {
		if err := checkNode(w, analytic[k], eval, cfg, &rep); err != nil {
			return Report{}, err
		}
	}
	rep.OK = rep.MaxError <= cfg.tol
	return rep, nil
}

func checkGradientArgs(cost *gorgonia.Node, wrt gorgonia.Nodes) error {
	if cost == nil {
		return errors.New("graphs: CheckGradient: cost is nil")
	}
	if !cost.IsScalar() {
		return errors.Errorf("graphs: CheckGradient: cost (%v) has shape %v, expected a scalar",
			cost.Name(), cost.Shape())
	}
	if len(wrt) == 0 {
		return errors.New("graphs: CheckGradient: wrt is empty")
	}
	for i, w := range wrt {
		switch {
		case w == nil:
			return errors.Errorf("graphs: CheckGradient: wrt[%d] is nil", i)
		case w.Graph() != cost.Graph():
			return errors.Errorf("graphs: CheckGradient: wrt[%d] (%v) is not in cost's graph", i, w.Name())
		}
		if _, err := floatData(w.Value()); err != nil {
			return errors.Wrapf(err, "graphs: CheckGradient: wrt[%d] (%v)", i, w.Name())
		}
	}
	return nil
}

// analyticGradients runs cost's graph once on a TapeMachine with dual
// values bound to wrt and returns a copy of each gradient.
func analyticGradients(cost *gorgonia.Node, wrt gorgonia.Nodes) ([][]float64, error) {
	if wrt[0].Deriv() == nil {
		if _, err := gorgonia.Grad(cost, wrt...); err != nil {
			return nil, errors.Wrap(err, "graphs: CheckGradient: differentiating the cost")
		}
	}
	m := gorgonia.NewTapeMachine(cost.Graph(), gorgonia.BindDualValues(wrt...))
	defer m.Close()
	for _, w := range wrt {
		// The TapeMachine adds into existing gradients, so clear any
		// left from earlier runs.
		if g, err := w.Grad(); err == nil && g != nil {
			switch d := g.(type) {
			case tensor.Tensor:
				d.Zero()
			case *gorgonia.F64:
				*d = 0
			case *gorgonia.F32:
				*d = 0
			}
		}
	}
	if err := m.RunAll(); err != nil {
		return nil, errors.Wrap(err, "graphs: CheckGradient: running the graph")
	}
	out := make([][]float64, len(wrt))
	for k, w := range wrt {
		g, err := w.Grad()
		if err != nil {
			return nil, errors.Wrapf(err, "graphs: CheckGradient: gradient of %v", w.Name())
		}
		d, err := floatData(g)
		if err != nil {
			return nil, errors.Wrapf(err, "graphs: CheckGradient: gradient of %v", w.Name())
		}
		out[k] = d
	}
	return out, nil
}

// checkNode compares the analytic gradient of one node with central
// differences and records the worst element in rep.
func checkNode(w *gorgonia.Node, analytic []float64, eval func() (float64, error),
	cfg checkConfig, rep *Report) error {
	get, set, shape := accessors(w.Value())
	n := shape.TotalSize()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if cfg.maxElems > 0 && cfg.maxElems < n {
		rng := rand.New(rand.NewSource(cfg.seed))
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:cfg.maxElems]
	}

	for _, i := range idx {
		orig := get(i)
		h := cfg.step * math.Max(1, math.Abs(orig))
		set(i, orig+h)
		up, err := eval()
		if err != nil {
			set(i, orig)
			return err
		}
		set(i, orig-h)
		down, err := eval()
		set(i, orig)
		if err != nil {
			return err
		}
		numeric := (up - down) / (2 * h)
		a := analytic[i]
		e := math.Abs(a-numeric) / math.Max(cfg.floor, math.Max(math.Abs(a), math.Abs(numeric)))
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		rep.Checked++
		if e > rep.MaxError || rep.Flat < 0 {
			rep.MaxError, rep.Node, rep.Flat = e, w.Name(), i
			rep.Index = unravel(i, shape)
			rep.Analytic, rep.Numeric = a, numeric
		}
	}
	return nil
}

// accessors returns functions that read and write element i of v in
// float64, rounding only the written value to v's dtype, and v's shape.
// v is a float tensor or scalar, as checkGradientArgs ensured.
func accessors(v gorgonia.Value) (func(int) float64, func(int, float64), tensor.Shape) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return func(int) float64 { return float64(*x) },
			func(_ int, f float64) { *x = gorgonia.F64(f) }, tensor.ScalarShape()
	case *gorgonia.F32:
		return func(int) float64 { return float64(*x) },
			func(_ int, f float64) { *x = gorgonia.F32(f) }, tensor.ScalarShape()
	}
	t := v.(tensor.Tensor)
	switch d := t.Data().(type) {
	case []float32:
		return func(i int) float64 { return float64(d[i]) },
			func(i int, f float64) { d[i] = float32(f) }, t.Shape()
	case []float64:
		return func(i int) float64 { return d[i] }, func(i int, f float64) { d[i] = f }, t.Shape()
	}
	panic("graphs: accessors: value is not a float tensor")
}

func unravel(i int, shape tensor.Shape) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// floatData returns a float64 copy of a float32 or float64 tensor or
// scalar value.
func floatData(v gorgonia.Value) ([]float64, error) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return []float64{float64(*x)}, nil
	case *gorgonia.F32:
		return []float64{float64(*x)}, nil
	}
	t, ok := v.(tensor.Tensor)
	if !ok || t == nil {
		return nil, errors.Errorf("value is a %T, expected a float32 or float64 tensor", v)
	}
	switch d := t.Data().(type) {
	case []float64:
		return append([]float64(nil), d...), nil
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out, nil
	}
	return nil, errors.Errorf("value has dtype %v and shape %v, expected a float32 or float64 tensor",
		t.Dtype(), t.Shape())
}

// scalarFloat returns the value of a float scalar.
func scalarFloat(v gorgonia.Value) (float64, error) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return float64(*x), nil
	case *gorgonia.F32:
		return float64(*x), nil
	}
	return 0, errors.Errorf("graphs: CheckGradient: cost value is a %T, expected a float scalar", v)
}
