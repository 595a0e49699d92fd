package repro

import (
	"fmt"
	"math/rand"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/experiments/datasets"
)

// Model is a ReLU multilayer perceptron as a float32 Gorgonia graph with
// a fixed batch size, trained on mean softmax cross-entropy.
type Model struct {
	Graph   *gorgonia.ExprGraph
	X       *gorgonia.Node   // Batch×In inputs
	Y       *gorgonia.Node   // Batch×Classes one-hot targets
	Weights []*gorgonia.Node // layer l's In×Out weight, named "w<l>"
	Biases  []*gorgonia.Node // layer l's bias, named "b<l>"
	Logits  *gorgonia.Node
	Loss    *gorgonia.Node // mean cross-entropy over the batch
	Batch   int
}

// NewModel builds the graph of net (which must take full samples) with
// its current weights as initial values.
func NewModel(net *Net, batch int) (*Model, error) {
	if net.Inputs != nil {
		return nil, errors.New("repro: NewModel: net reads a subset of inputs; train the full net")
	}
	if batch <= 0 {
		return nil, errors.Errorf("repro: NewModel: batch (%d) must be positive", batch)
	}
	g := gorgonia.NewGraph()
	in := net.Layers[0].In
	classes := net.Layers[len(net.Layers)-1].Out
	m := &Model{Graph: g, Batch: batch}
	m.X = gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(batch, in), gorgonia.WithName("x"))
	m.Y = gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(batch, classes),
		gorgonia.WithName("y"))

	h := m.X
	for l, layer := range net.Layers {
		wv := tensor.New(tensor.WithShape(layer.In, layer.Out),
			tensor.WithBacking(append([]float32(nil), layer.W...)))
		bv := tensor.New(tensor.WithShape(layer.Out),
			tensor.WithBacking(append([]float32(nil), layer.B...)))
		w := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(layer.In, layer.Out),
			gorgonia.WithName(fmt.Sprintf("w%d", l)), gorgonia.WithValue(wv))
		b := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(layer.Out),
			gorgonia.WithName(fmt.Sprintf("b%d", l)), gorgonia.WithValue(bv))
		m.Weights = append(m.Weights, w)
		m.Biases = append(m.Biases, b)

		xw, err := gorgonia.Mul(h, w)
		if err != nil {
			return nil, errors.Wrapf(err, "repro: NewModel: layer %d", l)
		}
		if h, err = gorgonia.BroadcastAdd(xw, b, nil, []byte{0}); err != nil {
			return nil, errors.Wrapf(err, "repro: NewModel: layer %d", l)
		}
		if l+1 < len(net.Layers) {
			if h, err = gorgonia.Rectify(h); err != nil {
				return nil, errors.Wrapf(err, "repro: NewModel: layer %d", l)
			}
		}
	}
	m.Logits = h

	logProb, err := gorgonia.LogSoftMax(h)
	if err != nil {
		return nil, errors.Wrap(err, "repro: NewModel")
	}
	picked, err := gorgonia.HadamardProd(logProb, m.Y)
	if err != nil {
		return nil, errors.Wrap(err, "repro: NewModel")
	}
	sum, err := gorgonia.Sum(picked)
	if err != nil {
		return nil, errors.Wrap(err, "repro: NewModel")
	}
	scale := gorgonia.NewConstant(float32(-1) / float32(batch))
	if m.Loss, err = gorgonia.Mul(sum, scale); err != nil {
		return nil, errors.Wrap(err, "repro: NewModel")
	}
	return m, nil
}

// Params returns the trainable nodes in the order w0, b0, w1, b1, ….
func (m *Model) Params() gorgonia.Nodes {
	var ps gorgonia.Nodes
	for l := range m.Weights {
		ps = append(ps, m.Weights[l], m.Biases[l])
	}
	return ps
}

// Net returns a copy of the model's current weights as a plain net.
func (m *Model) Net() *Net {
	n := &Net{}
	for l, w := range m.Weights {
		shape := w.Shape()
		n.Layers = append(n.Layers, Layer{
			In:  shape[0],
			Out: shape[1],
			W:   append([]float32(nil), w.Value().Data().([]float32)...),
			B:   append([]float32(nil), m.Biases[l].Value().Data().([]float32)...),
		})
	}
	return n
}

// SetNet copies net's weights into the model's nodes in place; the
// shapes must match.
func (m *Model) SetNet(net *Net) error {
	if len(net.Layers) != len(m.Weights) || net.Inputs != nil {
		return errors.Errorf("repro: SetNet: net has %d layers, model has %d",
			len(net.Layers), len(m.Weights))
	}
	for l, layer := range net.Layers {
		w := m.Weights[l].Value().Data().([]float32)
		b := m.Biases[l].Value().Data().([]float32)
		if len(w) != len(layer.W) || len(b) != len(layer.B) {
			return errors.Errorf("repro: SetNet: layer %d is %d×%d, model's is %v",
				l, layer.In, layer.Out, m.Weights[l].Shape())
		}
		copy(w, layer.W)
		copy(b, layer.B)
	}
	return nil
}

// Trainer runs minibatch training of a Model: Let, RunAll, solver Step,
// Reset. Each epoch visits the training samples in a fresh random order
// and drops the last partial batch.
type Trainer struct {
	model  *Model
	vm     gorgonia.VM
	solver gorgonia.Solver
	params gorgonia.Nodes
	data   *datasets.Set
	rng    *rand.Rand
	order  []int
	pos    int
	xv, yv *tensor.Dense
	loss   gorgonia.Value
	steps  int
}

// NewTrainer differentiates cost (the model's loss, possibly augmented
// with penalties) with respect to the model's parameters and prepares a
// tape machine. Shuffling uses a source seeded with seed.
func NewTrainer(m *Model, cost *gorgonia.Node, s gorgonia.Solver, train *datasets.Set,
	seed int64) (*Trainer, error) {
	if train.Classes == 0 || train.Features != m.X.Shape()[1] {
		return nil, errors.Errorf("repro: NewTrainer: data has %d features and %d classes, "+
			"model takes %v", train.Features, train.Classes, m.X.Shape())
	}
	if train.Rows < m.Batch {
		return nil, errors.Errorf("repro: NewTrainer: %d samples is less than one batch (%d)",
			train.Rows, m.Batch)
	}
	t := &Trainer{model: m, solver: s, params: m.Params(), data: train,
		rng: rand.New(rand.NewSource(seed))}
	gorgonia.Read(cost, &t.loss)
	if _, err := gorgonia.Grad(cost, t.params...); err != nil {
		return nil, errors.Wrap(err, "repro: NewTrainer")
	}
	t.vm = gorgonia.NewTapeMachine(m.Graph, gorgonia.BindDualValues(t.params...))
	t.xv = tensor.New(tensor.WithShape(m.X.Shape()...), tensor.Of(tensor.Float32))
	t.yv = tensor.New(tensor.WithShape(m.Y.Shape()...), tensor.Of(tensor.Float32))
	t.order = t.rng.Perm(train.Rows)
	return t, nil
}

// Steps returns the number of completed steps.
func (t *Trainer) Steps() int { return t.steps }

// Step trains on the next minibatch and returns its cost.
func (t *Trainer) Step() (float64, error) {
	if t.pos+t.model.Batch > len(t.order) {
		t.order = t.rng.Perm(t.data.Rows)
		t.pos = 0
	}
	x := t.xv.Data().([]float32)
	y := t.yv.Data().([]float32)
	clear(y)
	f := t.data.Features
	classes := t.model.Y.Shape()[1]
	for s := 0; s < t.model.Batch; s++ {
		i := t.order[t.pos+s]
		for j, v := range t.data.Row(i) {
			x[s*f+j] = float32(v)
		}
		y[s*classes+int(t.data.Y[i])] = 1
	}
	t.pos += t.model.Batch

	if err := gorgonia.Let(t.model.X, t.xv); err != nil {
		return 0, errors.Wrap(err, "repro: Step")
	}
	if err := gorgonia.Let(t.model.Y, t.yv); err != nil {
		return 0, errors.Wrap(err, "repro: Step")
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, errors.Wrapf(err, "repro: Step %d: forward and backward pass", t.steps)
	}
	if err := t.solver.Step(gorgonia.NodesToValueGrads(t.params)); err != nil {
		return 0, errors.Wrapf(err, "repro: Step %d", t.steps)
	}
	t.steps++
	return float64(t.loss.Data().(float32)), nil
}

// Close releases the tape machine.
func (t *Trainer) Close() error { return t.vm.Close() }
