package repro

import (
	"math"
	"math/rand"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/regsched/regsched/experiments/datasets"
)

// Layer is one fully connected layer y = x·W + b, with W stored
// row-major as In×Out (row i holds input i's outgoing weights).
type Layer struct {
	In, Out int
	W       []float32
	B       []float32
}

// Net is a multilayer perceptron with ReLU after every layer but the
// last. It is the plain, graph-free form of a trained model, used for
// evaluation, compaction and sensitivity measurements.
//
// If Inputs is not nil, the net reads only those input features, in that
// order, from samples of SampleWidth features. A compacted net uses it to
// skip inputs whose weights are all zero.
type Net struct {
	Layers      []Layer
	Inputs      []int
	SampleWidth int
}

// NewNet returns a net with the given layer widths, initialised as
// PyTorch initialises nn.Linear: weights and biases uniform in
// ±1/√fan_in, drawn from a source seeded with seed.
func NewNet(sizes []int, seed int64) (*Net, error) {
	if len(sizes) < 2 {
		return nil, errors.Errorf("repro: NewNet: %d layer widths, want at least 2", len(sizes))
	}
	for i, s := range sizes {
		if s <= 0 {
			return nil, errors.Errorf("repro: NewNet: width %d is %d, want > 0", i, s)
		}
	}
	rng := rand.New(rand.NewSource(seed))
	n := &Net{}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		bound := 1 / math.Sqrt(float64(in))
		layer := Layer{In: in, Out: out, W: make([]float32, in*out), B: make([]float32, out)}
		for i := range layer.W {
			layer.W[i] = float32((2*rng.Float64() - 1) * bound)
		}
		for i := range layer.B {
			layer.B[i] = float32((2*rng.Float64() - 1) * bound)
		}
		n.Layers = append(n.Layers, layer)
	}
	return n, nil
}

// InputWidth returns the number of features a sample must have.
func (n *Net) InputWidth() int {
	if n.Inputs == nil {
		return n.Layers[0].In
	}
	return n.SampleWidth
}

// Clone returns a deep copy of n.
func (n *Net) Clone() *Net {
	c := &Net{SampleWidth: n.SampleWidth}
	if n.Inputs != nil {
		c.Inputs = append([]int(nil), n.Inputs...)
	}
	for _, l := range n.Layers {
		c.Layers = append(c.Layers, Layer{In: l.In, Out: l.Out,
			W: append([]float32(nil), l.W...), B: append([]float32(nil), l.B...)})
	}
	return c
}

// Weights returns the number of weights (biases excluded).
func (n *Net) Weights() int {
	var total int
	for _, l := range n.Layers {
		total += len(l.W)
	}
	return total
}

// Sparsity returns the fraction of weights (biases excluded) that are
// exactly zero.
func (n *Net) Sparsity() float64 {
	var zeros int
	for _, l := range n.Layers {
		for _, v := range l.W {
			if v == 0 {
				zeros++
			}
		}
	}
	return float64(zeros) / float64(n.Weights())
}

// Forward returns the batch×Out logits of the last layer for batch
// samples of width InputWidth stored row-major in x. Its cost is
// O(batch·Σ In·Out) through gonum's float32 GEMM.
func (n *Net) Forward(x []float32, batch int) ([]float32, error) {
	width := n.InputWidth()
	if batch <= 0 || len(x) != batch*width {
		return nil, errors.Errorf("repro: Forward: %d values for batch %d of width %d",
			len(x), batch, width)
	}
	var buf forwardBuffers
	return n.forward(x, batch, &buf), nil
}

// forwardBuffers holds scratch space so that repeated calls do not
// allocate.
type forwardBuffers struct {
	in  []float32
	act [][]float32
}

func (n *Net) forward(x []float32, batch int, buf *forwardBuffers) []float32 {
	cur := x
	if n.Inputs != nil {
		k := len(n.Inputs)
		width := n.InputWidth()
		buf.in = grow(buf.in, batch*k)
		for s := 0; s < batch; s++ {
			row := x[s*width : (s+1)*width]
			dst := buf.in[s*k : (s+1)*k]
			for j, i := range n.Inputs {
				dst[j] = row[i]
			}
		}
		cur = buf.in
	}
	if len(buf.act) < len(n.Layers) {
		buf.act = make([][]float32, len(n.Layers))
	}
	for li, l := range n.Layers {
		out := grow(buf.act[li], batch*l.Out)
		buf.act[li] = out
		for s := 0; s < batch; s++ {
			copy(out[s*l.Out:(s+1)*l.Out], l.B)
		}
		if l.In > 0 && l.Out > 0 {
			a := blas32.General{Rows: batch, Cols: l.In, Stride: l.In, Data: cur}
			w := blas32.General{Rows: l.In, Cols: l.Out, Stride: l.Out, Data: l.W}
			c := blas32.General{Rows: batch, Cols: l.Out, Stride: l.Out, Data: out}
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, w, 1, c)
		}
		if li+1 < len(n.Layers) {
			for i, v := range out {
				if v < 0 {
					out[i] = 0
				}
			}
		}
		cur = out
	}
	return cur
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// toFloat32 converts d's features to float32.
func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// Accuracy returns the fraction of d's samples whose largest logit is at
// the true class; ties go to the lowest class index.
func (n *Net) Accuracy(d *datasets.Set) (float64, error) {
	if d.Features != n.InputWidth() {
		return 0, errors.Errorf("repro: Accuracy: data has %d features, net takes %d",
			d.Features, n.InputWidth())
	}
	const chunk = 1000
	x := toFloat32(d.X)
	var buf forwardBuffers
	correct := 0
	for start := 0; start < d.Rows; start += chunk {
		b := min(chunk, d.Rows-start)
		logits := n.forward(x[start*d.Features:(start+b)*d.Features], b, &buf)
		out := n.Layers[len(n.Layers)-1].Out
		for s := 0; s < b; s++ {
			if argmax(logits[s*out:(s+1)*out]) == int(d.Y[start+s]) {
				correct++
			}
		}
	}
	return float64(correct) / float64(d.Rows), nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
