package graphs

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Loss selects the training loss of a model built by NewMLP.
type Loss int

const (
	// CrossEntropy is the mean over the batch of the softmax cross-entropy
	// −Σⱼ yⱼ·log softmax(z)ⱼ, for classification with one-hot targets.
	CrossEntropy Loss = iota
	// MeanSquaredError is the mean over every element of (output − y)²,
	// for regression.
	MeanSquaredError
)

// String returns "cross-entropy" or "mse".
func (l Loss) String() string {
	switch l {
	case CrossEntropy:
		return "cross-entropy"
	case MeanSquaredError:
		return "mse"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// MLPConfig describes a fully connected network with ReLU hidden layers.
type MLPConfig struct {
	// Sizes lists the layer widths: input, hidden..., output. With no
	// hidden width the model is linear. LeNet-300-100 is
	// {784, 300, 100, 10}.
	Sizes []int
	// Dtype is tensor.Float32 or tensor.Float64, and the zero value selects
	// tensor.Float64.
	Dtype tensor.Dtype
	// Batch is the number of rows of X and Y. It must be positive.
	Batch int
	// Seed seeds the Glorot-uniform initialisation of the weights.
	Seed int64
	// Loss is the training loss. The zero value is CrossEntropy.
	Loss Loss
	// NoBias leaves out every bias, as a linear model through the origin
	// needs.
	NoBias bool
	// Prefix is put in front of every node name, so several models can
	// share a graph. The zero value adds nothing.
	Prefix string
}

// MLP is a fully connected network built in a graph by NewMLP.
type MLP struct {
	// X is the input, shaped (Batch, Sizes[0]).
	X *gorgonia.Node
	// Y is the target, shaped (Batch, Sizes[last]): one-hot rows for
	// CrossEntropy, values for MeanSquaredError.
	Y *gorgonia.Node
	// Weights contains one matrix per layer, shaped (in, out), so a layer
	// computes h·W + b.
	Weights []*gorgonia.Node
	// Biases contains one vector per layer, shaped (out), or nil with NoBias.
	Biases []*gorgonia.Node
	// Logits is the last layer's output before any softmax, shaped
	// (Batch, Sizes[last]). Output is the same node.
	Logits, Output *gorgonia.Node
	// Loss is the scalar training loss.
	Loss *gorgonia.Node
}

// Params returns the trainable nodes in a fixed order: W0, b0, W1, b1, …
// (or W0, W1, … without biases). Solvers that keep state by position
// need the same order on every step, which this gives.
func (m *MLP) Params() gorgonia.Nodes {
	ps := make(gorgonia.Nodes, 0, len(m.Weights)+len(m.Biases))
	for i, w := range m.Weights {
		ps = append(ps, w)
		if i < len(m.Biases) {
			ps = append(ps, m.Biases[i])
		}
	}
	return ps
}

// NewMLP builds the network cfg describes in g. Weights are drawn from the
// Glorot-uniform distribution U(−a, a), a = √(6/(in+out)), using a
// math/rand source seeded with cfg.Seed, layer after layer in row-major
// order. Biases start at 0. The same configuration always gives the same
// initial values.
func NewMLP(g *gorgonia.ExprGraph, cfg MLPConfig) (*MLP, error) {
	if err := checkMLPConfig(g, &cfg); err != nil {
		return nil, err
	}
	dt := cfg.Dtype
	p := cfg.Prefix
	in, out := cfg.Sizes[0], cfg.Sizes[len(cfg.Sizes)-1]
	m := &MLP{
		X: gorgonia.NewMatrix(g, dt, gorgonia.WithShape(cfg.Batch, in), gorgonia.WithName(p+"x")),
		Y: gorgonia.NewMatrix(g, dt, gorgonia.WithShape(cfg.Batch, out), gorgonia.WithName(p+"y")),
	}

	rng := rand.New(rand.NewSource(cfg.Seed))
	h := m.X
	layers := len(cfg.Sizes) - 1
	for l := 0; l < layers; l++ {
		fanIn, fanOut := cfg.Sizes[l], cfg.Sizes[l+1]
		w := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(fanIn, fanOut),
			gorgonia.WithName(fmt.Sprintf("%sw%d", p, l)),
			gorgonia.WithValue(glorotUniform(rng, dt, fanIn, fanOut)))
		m.Weights = append(m.Weights, w)

		var err error
		if h, err = gorgonia.Mul(h, w); err != nil {
			return nil, errors.Wrapf(err, "graphs: NewMLP: layer %d: h·W", l)
		}
		if !cfg.NoBias {
			b := gorgonia.NewVector(g, dt, gorgonia.WithShape(fanOut),
				gorgonia.WithName(fmt.Sprintf("%sb%d", p, l)), gorgonia.WithInit(gorgonia.Zeroes()))
			m.Biases = append(m.Biases, b)
			if h, err = gorgonia.BroadcastAdd(h, b, nil, []byte{0}); err != nil {
				return nil, errors.Wrapf(err, "graphs: NewMLP: layer %d: adding the bias", l)
			}
		}
		if l < layers-1 {
			if h, err = gorgonia.Rectify(h); err != nil {
				return nil, errors.Wrapf(err, "graphs: NewMLP: layer %d: ReLU", l)
			}
		}
	}
	m.Logits, m.Output = h, h

	var err error
	switch cfg.Loss {
	case CrossEntropy:
		m.Loss, err = softmaxCrossEntropy(h, m.Y, cfg.Batch)
	case MeanSquaredError:
		m.Loss, err = meanSquaredError(h, m.Y)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "graphs: NewMLP: %v loss", cfg.Loss)
	}
	return m, nil
}

func checkMLPConfig(g *gorgonia.ExprGraph, cfg *MLPConfig) error {
	if g == nil {
		return errors.New("graphs: NewMLP: graph is nil")
	}
	if len(cfg.Sizes) < 2 {
		return errors.Errorf("graphs: NewMLP: Sizes (%v) needs an input and an output width",
			cfg.Sizes)
	}
	for i, n := range cfg.Sizes {
		if n <= 0 {
			return errors.Errorf("graphs: NewMLP: Sizes[%d] (%d) must be positive", i, n)
		}
	}
	if cfg.Batch <= 0 {
		return errors.Errorf("graphs: NewMLP: Batch (%d) must be positive", cfg.Batch)
	}
	if cfg.Dtype == (tensor.Dtype{}) {
		cfg.Dtype = tensor.Float64
	}
	if cfg.Dtype != tensor.Float32 && cfg.Dtype != tensor.Float64 {
		return errors.Errorf("graphs: NewMLP: Dtype (%v) must be float32 or float64", cfg.Dtype)
	}
	if cfg.Loss != CrossEntropy && cfg.Loss != MeanSquaredError {
		return errors.Errorf("graphs: NewMLP: invalid Loss (%v)", cfg.Loss)
	}
	if cfg.Loss == CrossEntropy && cfg.Sizes[len(cfg.Sizes)-1] < 2 {
		return errors.Errorf("graphs: NewMLP: cross-entropy needs at least 2 outputs; Sizes is %v",
			cfg.Sizes)
	}
	return nil
}

// glorotUniform returns an (in, out) tensor drawn from U(−a, a) with
// a = √(6/(in+out)).
func glorotUniform(rng *rand.Rand, dt tensor.Dtype, in, out int) tensor.Tensor {
	a := math.Sqrt(6 / float64(in+out))
	if dt == tensor.Float32 {
		v := make([]float32, in*out)
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * a)
		}
		return tensor.New(tensor.WithShape(in, out), tensor.WithBacking(v))
	}
	v := make([]float64, in*out)
	for i := range v {
		v[i] = (2*rng.Float64() - 1) * a
	}
	return tensor.New(tensor.WithShape(in, out), tensor.WithBacking(v))
}

// softmaxCrossEntropy returns −(1/batch)·Σ y ⊙ log softmax(logits).
func softmaxCrossEntropy(logits, y *gorgonia.Node, batch int) (*gorgonia.Node, error) {
	logp, err := gorgonia.LogSoftMax(logits)
	if err != nil {
		return nil, err
	}
	prod, err := gorgonia.HadamardProd(y, logp)
	if err != nil {
		return nil, err
	}
	sum, err := gorgonia.Sum(prod)
	if err != nil {
		return nil, err
	}
	scale := gorgonia.NewConstant(scalarValue(logits.Dtype(), -1/float64(batch)))
	return gorgonia.Mul(sum, scale)
}

// meanSquaredError returns the mean of (output − y)² over every element.
func meanSquaredError(output, y *gorgonia.Node) (*gorgonia.Node, error) {
	diff, err := gorgonia.Sub(output, y)
	if err != nil {
		return nil, err
	}
	sq, err := gorgonia.Square(diff)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mean(sq)
}
