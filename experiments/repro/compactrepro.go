package repro

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// compactTolerance is the largest accepted difference between the
// logits of a net and its compacted form, relative to the largest
// logit: float32 sums of a few hundred terms reordered or shortened
// differ by a few ulps (2⁻²³ ≈ 1.2e-7 each).
const compactTolerance = 1e-5

// CompactResult is one seed of the structured-pruning reproduction.
type CompactResult struct {
	Seed            int64   `json:"seed"`
	DenseAccuracy   float64 `json:"dense_accuracy"`
	PrunedAccuracy  float64 `json:"pruned_accuracy"`
	CompactAccuracy float64 `json:"compact_accuracy"`
	Shape           []int   `json:"shape"` // layer widths after compaction, input first
	Weights         int     `json:"weights"`
	DenseWeights    int     `json:"dense_weights"`
	MaxAbsDiff      float64 `json:"max_abs_diff"` // over all test logits
	MaxAbsLogit     float64 `json:"max_abs_logit"`
	SamePredictions int     `json:"same_predictions"` // test samples with the same predicted class
	TestSamples     int     `json:"test_samples"`
	Folded          int     `json:"folded"`
}

// CompactTiming is the inference time of the pruned net and its compact
// form at one batch size, from testing.Benchmark.
type CompactTiming struct {
	Batch     int     `json:"batch"`
	Original  float64 `json:"original_ns"`
	Compact   float64 `json:"compact_ns"`
	Speedup   float64 `json:"speedup"`
	GoMaxProc int     `json:"gomaxprocs"`
}

func init() {
	register("structured-compaction",
		"structured pruning of LeNet-300-100 hidden units, compaction into a smaller dense net, "+
			"output check and inference speed",
		func() Settings { return new(CompactRecipe) })
}

// structuredSetup prunes whole hidden units (columns of every weight but
// the last) along the cubic schedule of p.
func structuredSetup(p PruneProtocol, target float64) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		sched, err := schedules.Parse(p.GradualSpec(target))
		if err != nil {
			return nil, nil, err
		}
		var opts []solvers.Option
		for _, w := range m.Weights[:len(m.Weights)-1] {
			opts = append(opts, solvers.WithPruning(w, solvers.Magnitude{}, sched,
				solvers.WithStructure(solvers.Columns{})))
		}
		return nil, opts, nil
	}
}

// CompactSeed trains a dense and a structured-pruned net from the same
// initial weights, compacts the pruned one and checks its outputs on
// test.
func CompactSeed(p PruneProtocol, train, test *datasets.Set, target float64,
	seed int64) (CompactResult, *Net, *Net, error) {
	init, err := NewNet(p.Sizes, seed)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	dense, _, err := Train(p.RunConfig, init, train, seed, nil, nil, 0)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	pruned, _, err := Train(p.RunConfig, init, train, seed, structuredSetup(p, target), nil, 0)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	small, st, err := Compact(pruned)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	r := CompactResult{Seed: seed, Weights: small.Weights(), DenseWeights: pruned.Weights(),
		Folded: st.Folded, TestSamples: test.Rows}
	r.Shape = append([]int{st.InputsAfter}, st.UnitsAfter...)
	r.Shape = append(r.Shape, small.Layers[len(small.Layers)-1].Out)
	if r.DenseAccuracy, err = dense.Accuracy(test); err != nil {
		return CompactResult{}, nil, nil, err
	}
	if r.PrunedAccuracy, err = pruned.Accuracy(test); err != nil {
		return CompactResult{}, nil, nil, err
	}
	if r.CompactAccuracy, err = small.Accuracy(test); err != nil {
		return CompactResult{}, nil, nil, err
	}

	x := toFloat32(test.X)
	ya, err := pruned.Forward(x, test.Rows)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	ya = append([]float32(nil), ya...)
	yb, err := small.Forward(x, test.Rows)
	if err != nil {
		return CompactResult{}, nil, nil, err
	}
	out := pruned.Layers[len(pruned.Layers)-1].Out
	for i := range ya {
		r.MaxAbsDiff = math.Max(r.MaxAbsDiff, math.Abs(float64(ya[i])-float64(yb[i])))
		r.MaxAbsLogit = math.Max(r.MaxAbsLogit, math.Abs(float64(ya[i])))
	}
	for s := 0; s < test.Rows; s++ {
		if argmax(ya[s*out:(s+1)*out]) == argmax(yb[s*out:(s+1)*out]) {
			r.SamePredictions++
		}
	}
	if r.MaxAbsDiff > compactTolerance*math.Max(1, r.MaxAbsLogit) {
		return r, nil, nil, errors.Errorf("repro: compact net differs from the pruned net by %g "+
			"(largest logit %g, tolerance %g relative)", r.MaxAbsDiff, r.MaxAbsLogit, compactTolerance)
	}
	return r, pruned, small, nil
}

// TimeForward measures one forward pass of a and b at each batch size
// with testing.Benchmark, alternating the two so that machine load
// affects both alike.
func TimeForward(a, b *Net, batches []int) []CompactTiming {
	var out []CompactTiming
	for _, batch := range batches {
		t := CompactTiming{Batch: batch, GoMaxProc: runtime.GOMAXPROCS(0)}
		bench := func(n *Net) float64 {
			x := make([]float32, batch*n.InputWidth())
			for i := range x {
				x[i] = float32(i%255) / 255
			}
			var buf forwardBuffers
			res := testing.Benchmark(func(tb *testing.B) {
				for i := 0; i < tb.N; i++ {
					n.forward(x, batch, &buf)
				}
			})
			return float64(res.T.Nanoseconds()) / float64(res.N)
		}
		// Take the faster of two alternating rounds of each.
		t.Original, t.Compact = math.Inf(1), math.Inf(1)
		for round := 0; round < 2; round++ {
			t.Original = math.Min(t.Original, bench(a))
			t.Compact = math.Min(t.Compact, bench(b))
		}
		t.Speedup = t.Original / t.Compact
		out = append(out, t)
	}
	return out
}

func (cr *CompactRecipe) run(o Options) error {
	train, test, err := cr.fashionMNIST()
	if err != nil {
		return err
	}
	p := cr.Training
	start := time.Now()
	took := runTime{LoadBefore: loadAverage(), Steps: 2 * len(cr.Seeds) * p.Steps}
	var results []CompactResult
	var timing []CompactTiming
	for _, seed := range cr.Seeds {
		r, pruned, small, err := CompactSeed(p, train, test, cr.Target, seed)
		if err != nil {
			return err
		}
		o.logf("seed %d: dense %.4f, pruned %.4f, compact %.4f, shape %v, max diff %.3g",
			seed, r.DenseAccuracy, r.PrunedAccuracy, r.CompactAccuracy, r.Shape, r.MaxAbsDiff)
		results = append(results, r)
		if seed == cr.Seeds[0] {
			timing = TimeForward(pruned, small, cr.TimingBatches)
			for _, t := range timing {
				o.logf("batch %d: original %.0f ns, compact %.0f ns, speed-up %.2f×",
					t.Batch, t.Original, t.Compact, t.Speedup)
			}
		}
	}
	took.Wall, took.LoadAfter = time.Since(start), loadAverage()
	return writeCompactReport(o.Out, p, cr.Target, results, timing, took)
}

func writeCompactReport(dir string, p PruneProtocol, target float64, rs []CompactResult,
	ts []CompactTiming, took runTime) error {
	if err := startReport(dir, rs); err != nil {
		return err
	}
	if err := writeJSONL(filepath.Join(dir, "timing.jsonl"), ts); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("| seed | dense acc. (%) | pruned acc. (%) | compact acc. (%) | compact shape | " +
		"weights | max abs. logit diff | largest logit | same predictions | folded units |\n" +
		"|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		shape := make([]string, len(r.Shape))
		for i, v := range r.Shape {
			shape[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(&b, "| %d | %.2f | %.2f | %.2f | %s | %d of %d (%.1f×) | %.2g | %.3g | %d / %d | %d |\n",
			r.Seed, 100*r.DenseAccuracy, 100*r.PrunedAccuracy, 100*r.CompactAccuracy,
			strings.Join(shape, "-"), r.Weights, r.DenseWeights,
			float64(r.DenseWeights)/float64(r.Weights), r.MaxAbsDiff, r.MaxAbsLogit,
			r.SamePredictions, r.TestSamples, r.Folded)
	}
	table := b.String()

	b.Reset()
	fmt.Fprintf(&b, "| batch | pruned %s (µs) | compact (µs) | speed-up |\n|---|---|---|---|\n",
		sizesText(p.Sizes))
	for _, t := range ts {
		fmt.Fprintf(&b, "| %d | %.1f | %.1f | %.2f× |\n", t.Batch, t.Original/1e3, t.Compact/1e3,
			t.Speedup)
	}
	timing := b.String()
	procs := 0
	if len(ts) > 0 {
		procs = ts[0].GoMaxProc
	}
	if err := plotCompactSpeedup(filepath.Join(dir, "speed-up.svg"), rs, ts); err != nil {
		return err
	}
	text := fmt.Sprintf(compactTemplate, 100*target, p.Steps, p.Begin, p.End, p.Every,
		table, compactTolerance, timing, procs, runtime.GOARCH, took, compactFindings(rs, ts),
		p.Batch, p.LearnRate)
	return writeFile(dir, "README.md", text)
}

const compactTemplate = `# Structured pruning, then compaction into a smaller dense net

Pruning whole hidden units (columns of W in Gorgonia's x×W layout) leaves
a net whose zero columns, and the matching rows of the next layer, can be
cut out. The result is a smaller dense net that computes the same
function and runs faster with no sparse kernels.

## Protocol

LeNet-300-100 on Fashion-MNIST (60,000 training images, 10,000 test
images), Adam with learning rate %[14]g, batch %[13]d, %[2]d steps. The
structured run prunes %.0[1]f%% of the units of each hidden layer by the
L1 norm of their incoming weights
(solvers.WithStructure(solvers.Columns{})) along the cubic schedule from
step %[3]d to %[4]d, updated every %[5]d steps. The output layer is not
pruned. The dense run starts from the same weights.
repro.Compact then removes every hidden unit whose incoming or outgoing
weights are all zero; a unit with zero incoming weights still outputs
ReLU(b), a constant that moves into the next layer's bias.

## Results

%[6]s
The compact net must match the pruned net's logits on every test image
within %.0[7]e of the largest logit (float32 sums reordered and
shortened); the run stops with an error otherwise.

## Inference time (plain Go, gonum float32 GEMM, one forward pass)

%[8]s
Measured with testing.Benchmark on this machine (GOMAXPROCS=%[9]d,
%[10]s, shared with other jobs), the faster of two alternating rounds.
On a shared machine these ratios change from run to run with the load,
so repeat the benchmark before relying on one ratio.
The same code, BenchmarkCompactForward in experiments/repro, reruns it:
` + "`go test -run XXX -bench CompactForward ./experiments/repro`" + `.

![compact time as a fraction of the original time, by batch size](speed-up.svg)

## Findings (computed from the tables)

%[12]s
## Run time

%[11]s
Raw results: results.jsonl, timing.jsonl.
`

// compactFindings states whether the compact nets kept every prediction
// and ran faster at every batch size. Li et al. (2017, Pruning Filters
// for Efficient ConvNets) report that removing whole units gives a
// smaller dense model that runs faster with dense BLAS kernels alone.
func compactFindings(rs []CompactResult, ts []CompactTiming) string {
	var b strings.Builder
	same, faster := true, true
	for _, r := range rs {
		if r.SamePredictions != r.TestSamples || r.CompactAccuracy != r.PrunedAccuracy {
			same = false
		}
		fmt.Fprintf(&b, "- Seed %d: %d of %d test predictions agree, accuracy %.2f%% before "+
			"and %.2f%% after compaction, %.1f times fewer weights; the structured net is "+
			"%+.2f points from the dense one.\n", r.Seed, r.SamePredictions, r.TestSamples,
			100*r.PrunedAccuracy, 100*r.CompactAccuracy,
			float64(r.DenseWeights)/float64(r.Weights), 100*(r.PrunedAccuracy-r.DenseAccuracy))
	}
	for _, t := range ts {
		if t.Speedup <= 1 {
			faster = false
		}
	}
	verdict := "held: the compact nets give the same predictions and run faster at every " +
		"measured batch size"
	switch {
	case !same:
		verdict = "did not hold: some prediction or accuracy changed with compaction"
	case !faster:
		verdict = "held only in part: predictions are the same, but the compact net is not " +
			"faster at every measured batch size"
	}
	fmt.Fprintf(&b, "- Li et al. (2017, Pruning Filters for Efficient ConvNets) find that "+
		"removing whole units gives a smaller dense net that runs faster without sparse "+
		"kernels; compaction must also keep the outputs. That result %s.\n", verdict)
	return b.String()
}

// plotCompactSpeedup draws the time of the compact net's forward pass as
// a fraction of the pruned net's against the batch size. The ratio of
// weights beside it is the fraction for a forward pass whose cost is its
// multiply-adds alone.
func plotCompactSpeedup(path string, rs []CompactResult, ts []CompactTiming) error {
	fig := experiments.Figure{Title: "Compact net against the structured-pruned net",
		XLabel: "batch size", YLabel: "compact time / original time", LogX: true}
	measured := experiments.Series{Name: "measured"}
	for _, t := range ts {
		measured.X = append(measured.X, float64(t.Batch))
		measured.Y = append(measured.Y, t.Compact/t.Original)
	}
	fig.Series = append(fig.Series, measured)
	if len(rs) > 0 && len(ts) > 0 {
		ratio := float64(rs[0].Weights) / float64(rs[0].DenseWeights)
		fig.Series = append(fig.Series, experiments.Series{Name: "ratio of weights", Dashed: true,
			Color: 1, X: []float64{measured.X[0], measured.X[len(measured.X)-1]},
			Y: []float64{ratio, ratio}})
	}
	return experiments.SaveFigure(path, fig)
}
