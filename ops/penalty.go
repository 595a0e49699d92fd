package ops

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Penalty returns the scalar node coef·R(w), where R is the term t.
//
// w is a float32 or float64 tensor node with at least one axis, and coef
// is a scalar node of the same dtype. Because coef is an input rather than
// a constant folded into the op, writing a new value into coef's bound
// value changes λ on the next run without rebuilding the graph.
//
// The node's op is a single gorgonia.Op whose hash covers the term's type
// and every setting, so Gorgonia never merges penalties that differ. The
// settings enter the hash through the term's String method when it has
// one, or else through fmt's %+v, so the String method of a term defined
// outside this package must print every setting. It
// implements symbolic differentiation (gorgonia.Grad and the TapeMachine)
// and automatic differentiation (the LispMachine): ∂/∂w = coef·∇R(w) and
// ∂/∂coef = R(w), each multiplied by the incoming gradient.
func Penalty(w, coef *gorgonia.Node, t Term) (*gorgonia.Node, error) {
	if err := checkPenaltyArgs(w, coef, t); err != nil {
		return nil, err
	}
	op := newPenaltyOp(t, w.Dims())
	n, err := gorgonia.ApplyOp(op, w, coef)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: Penalty: applying %v", op)
	}
	return n, nil
}

func checkPenaltyArgs(w, coef *gorgonia.Node, t Term) error {
	switch {
	case t == nil:
		return errors.New("ops: Penalty: term is nil")
	case w == nil:
		return errors.Errorf("ops: Penalty: %v: w is nil", termName(t))
	case coef == nil:
		return errors.Errorf("ops: Penalty: %v: coef is nil", termName(t))
	case w.Graph() != coef.Graph():
		return errors.Errorf("ops: Penalty: %v: w (%v) and coef (%v) are in different graphs",
			termName(t), w.Name(), coef.Name())
	case w.IsScalar():
		return errors.Errorf("ops: Penalty: %v: w (%v) is a scalar, expected a tensor",
			termName(t), w.Name())
	case !coef.IsScalar():
		return errors.Errorf("ops: Penalty: %v: coef (%v) has shape %v, expected a scalar",
			termName(t), coef.Name(), coef.Shape())
	}
	dt := w.Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("ops: Penalty: %v: w (%v) has dtype %v, expected float32 or float64",
			termName(t), w.Name(), dt)
	}
	if coef.Dtype() != dt {
		return errors.Errorf("ops: Penalty: %v: coef (%v) has dtype %v, expected w's dtype %v",
			termName(t), coef.Name(), coef.Dtype(), dt)
	}
	return nil
}

// penaltyOp computes coef·R(w) from the inputs (w, coef).
type penaltyOp struct {
	term Term
	name string // termName(term), fixed when the op is built
	dims int    // w's number of axes
}

// penaltyGradOp computes g·coef·∇R(w) from the inputs (w, coef, g),
// where g is the gradient flowing into the penalty's output.
type penaltyGradOp struct {
	penaltyOp
}

var (
	_ gorgonia.Op              = (*penaltyOp)(nil)
	_ gorgonia.SDOp            = (*penaltyOp)(nil)
	_ gorgonia.ADOp            = (*penaltyOp)(nil)
	_ gorgonia.UsePreallocDoer = (*penaltyOp)(nil)
	_ gorgonia.Op              = (*penaltyGradOp)(nil)
	_ gorgonia.UsePreallocDoer = (*penaltyGradOp)(nil)
)

func newPenaltyOp(t Term, dims int) *penaltyOp {
	return &penaltyOp{term: t, name: termName(t), dims: dims}
}

func (op *penaltyOp) Arity() int { return 2 }

// Type is Tensor a → a → a: a tensor w, a scalar coef, a scalar result.
func (op *penaltyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(gorgonia.TensorType{Dims: op.dims, Of: a}, a, a)
}

func (op *penaltyOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

func (op *penaltyOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	r, err := op.value(inputs)
	if err != nil {
		return nil, err
	}
	return newScalar(inputs[0].Dtype(), r), nil
}

// UsePreallocDo writes coef·R(w) into prealloc when it is a scalar of w's
// dtype, and otherwise returns a new value.
func (op *penaltyOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	r, err := op.value(inputs)
	if err != nil {
		return nil, err
	}
	switch p := prealloc.(type) {
	case *gorgonia.F64:
		if inputs[0].Dtype() == tensor.Float64 {
			*p = gorgonia.F64(r)
			return p, nil
		}
	case *gorgonia.F32:
		if inputs[0].Dtype() == tensor.Float32 {
			*p = gorgonia.F32(r)
			return p, nil
		}
	}
	return newScalar(inputs[0].Dtype(), r), nil
}

// value returns coef·R(w).
func (op *penaltyOp) value(inputs []gorgonia.Value) (float64, error) {
	if len(inputs) != 2 {
		return 0, errors.Errorf("ops: %v: got %d inputs, expected 2 (w, coef)", op, len(inputs))
	}
	w, ok := inputs[0].(tensor.Tensor)
	if !ok {
		return 0, errors.Errorf("ops: %v: w is a %T, expected a tensor", op, inputs[0])
	}
	c, err := scalarOf(op, "coef", inputs[1])
	if err != nil {
		return 0, err
	}
	r, err := op.term.Value(w)
	if err != nil {
		return 0, errors.Wrapf(err, "ops: %v", op)
	}
	return c * r, nil
}

func (op *penaltyOp) ReturnsPtr() bool     { return false }
func (op *penaltyOp) CallsExtern() bool    { return false }
func (op *penaltyOp) OverwritesInput() int { return -1 }

// WriteHash writes the term's Go type, its settings and w's rank, so two
// penalties hash alike only when they compute the same function.
func (op *penaltyOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "regsched.Penalty{%T %s}(dims=%d)", op.term, op.name, op.dims)
}

func (op *penaltyOp) Hashcode() uint32 { return hashOf(op) }

func (op *penaltyOp) String() string { return "Penalty{" + op.name + "}" }

func (op *penaltyOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

// SymDiff returns the gradient nodes g·coef·∇R(w) and g·R(w), where g is
// grad. The second is built as another penalty node with g in coef's
// place.
func (op *penaltyOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errors.Errorf("ops: %v: SymDiff: got %d inputs, expected 2", op, len(inputs))
	}
	w, coef := inputs[0], inputs[1]
	dw, err := gorgonia.ApplyOp(&penaltyGradOp{*op}, w, coef, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %v: SymDiff: gradient with respect to w", op)
	}
	dcoef, err := gorgonia.ApplyOp(op, w, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %v: SymDiff: gradient with respect to coef", op)
	}
	return gorgonia.Nodes{dw, dcoef}, nil
}

// DoDiff adds g·coef·∇R(w) into w's gradient and g·R(w) into coef's
// gradient in place, where g is output's gradient. An input without a
// gradient value (a constant) is skipped.
func (op *penaltyOp) DoDiff(ctx gorgonia.ExecutionContext, inputs gorgonia.Nodes, output *gorgonia.Node) error {
	if len(inputs) != 2 {
		return errors.Errorf("ops: %v: DoDiff: got %d inputs, expected 2", op, len(inputs))
	}
	w, coef := inputs[0], inputs[1]
	gv, err := output.Grad()
	if err != nil {
		return errors.Wrapf(err, "ops: %v: DoDiff: output gradient", op)
	}
	g, err := scalarOf(op, "output gradient", gv)
	if err != nil {
		return err
	}
	c, err := scalarOf(op, "coef", coef.Value())
	if err != nil {
		return err
	}
	wv, ok := w.Value().(tensor.Tensor)
	if !ok {
		return errors.Errorf("ops: %v: DoDiff: w is a %T, expected a tensor", op, w.Value())
	}

	if wg, err := w.Grad(); err == nil {
		wgt, ok := wg.(tensor.Tensor)
		if !ok {
			return errors.Errorf("ops: %v: DoDiff: w's gradient is a %T, expected a tensor", op, wg)
		}
		if err := op.term.AddGrad(wv, wgt, g*c); err != nil {
			return errors.Wrapf(err, "ops: %v: DoDiff", op)
		}
	}

	cg, err := coef.Grad()
	if err != nil {
		return nil
	}
	r, err := op.term.Value(wv)
	if err != nil {
		return errors.Wrapf(err, "ops: %v: DoDiff", op)
	}
	switch p := cg.(type) {
	case *gorgonia.F64:
		*p += gorgonia.F64(g * r)
	case *gorgonia.F32:
		*p += gorgonia.F32(g * r)
	default:
		return errors.Errorf("ops: %v: DoDiff: coef's gradient is a %T, expected a scalar", op, cg)
	}
	return nil
}

func (op *penaltyGradOp) Arity() int { return 3 }

// Type is Tensor a → a → a → Tensor a.
func (op *penaltyGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := gorgonia.TensorType{Dims: op.dims, Of: a}
	return hm.NewFnType(t, a, a, t)
}

func (op *penaltyGradOp) InferShape(inputs ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(inputs) == 0 {
		return nil, errors.Errorf("ops: %v: InferShape: no input shapes", op)
	}
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("ops: %v: InferShape: w's shape is a %T", op, inputs[0])
	}
	return s.Clone(), nil
}

func (op *penaltyGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 3 {
		return nil, errors.Errorf("ops: %v: got %d inputs, expected 3 (w, coef, grad)", op, len(inputs))
	}
	w, ok := inputs[0].(tensor.Tensor)
	if !ok {
		return nil, errors.Errorf("ops: %v: w is a %T, expected a tensor", op, inputs[0])
	}
	// A new tensor starts at zero, so the gradient is added without
	// clearing it first.
	out := tensor.New(tensor.Of(w.Dtype()), tensor.WithShape(w.Shape().Clone()...))
	return op.writeGrad(out, false, inputs)
}

// UsePreallocDo overwrites prealloc with g·coef·∇R(w).
func (op *penaltyGradOp) UsePreallocDo(prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.writeGrad(prealloc, true, inputs)
}

// writeGrad adds g·coef·∇R(w) into prealloc, setting prealloc to zero
// first when zero is true.
func (op *penaltyGradOp) writeGrad(prealloc gorgonia.Value, zero bool,
	inputs []gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 3 {
		return nil, errors.Errorf("ops: %v: got %d inputs, expected 3 (w, coef, grad)", op, len(inputs))
	}
	w, ok := inputs[0].(tensor.Tensor)
	if !ok {
		return nil, errors.Errorf("ops: %v: w is a %T, expected a tensor", op, inputs[0])
	}
	out, ok := prealloc.(tensor.Tensor)
	if !ok {
		return nil, errors.Errorf("ops: %v: preallocated value is a %T, expected a tensor", op, prealloc)
	}
	c, err := scalarOf(op, "coef", inputs[1])
	if err != nil {
		return nil, err
	}
	g, err := scalarOf(op, "grad", inputs[2])
	if err != nil {
		return nil, err
	}
	if zero {
		out.Zero()
	}
	if err := op.term.AddGrad(w, out, g*c); err != nil {
		return nil, errors.Wrapf(err, "ops: %v", op)
	}
	return out, nil
}

func (op *penaltyGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "regsched.PenaltyGrad{%T %s}(dims=%d)", op.term, op.name, op.dims)
}

func (op *penaltyGradOp) Hashcode() uint32 { return hashOf(op) }

func (op *penaltyGradOp) String() string { return "PenaltyGrad{" + op.name + "}" }

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func newScalar(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}

// scalarOf returns the value of a scalar input: a *gorgonia.F64, a
// *gorgonia.F32 or a one-element tensor.
func scalarOf(op fmt.Stringer, arg string, v gorgonia.Value) (float64, error) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return float64(*x), nil
	case *gorgonia.F32:
		return float64(*x), nil
	case tensor.Tensor:
		if x.Shape().TotalSize() == 1 {
			switch d := x.Data().(type) {
			case float64:
				return d, nil
			case float32:
				return float64(d), nil
			case []float64:
				return d[0], nil
			case []float32:
				return float64(d[0]), nil
			}
		}
	case nil:
		return 0, errors.Errorf("ops: %v: %s has no value", op, arg)
	}
	return 0, errors.Errorf("ops: %v: %s is a %T with dtype %v, expected a float32 or float64 scalar",
		op, arg, v, v.Dtype())
}
