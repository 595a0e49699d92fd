package repro

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/solvers"
)

func init() {
	register("lenet-full",
		"the reference's full 10-epoch protocol for LeNet-300-100 at 0, 90 and 98% (one seed)",
		func() Settings { return new(LeNetFullRecipe) })
}

// Names of the LeNet-300-100 pruning methods.
const (
	methodDense   = "dense"
	methodGradual = "gradual"
	methodOneShot = "one-shot"
	// methodGlobal ranks the weights of all matrices together
	// (solvers.Global).
	methodGlobal = "gradual, global"
	// methodGlobalDecay is methodGlobal with the learning rate decayed
	// after the schedule ends (PruneProtocol.DecaySpec).
	methodGlobalDecay = "gradual, global + LR decay"
	// methodERKDecay shares the target by the Erdős–Rényi-kernel rule
	// (solvers.ERK) and decays the learning rate as methodGlobalDecay.
	methodERKDecay = "gradual, ERK + LR decay"
)

// leNetSetup returns the set-up of a LeNet-300-100 run of method at
// target under p: nil for the dense baseline.
func leNetSetup(p PruneProtocol, method string, target float64) (Setup, error) {
	switch method {
	case methodDense:
		return nil, nil
	case methodGradual:
		return prunedWeights(p.GradualSpec(target)), nil
	case methodGlobal:
		return allocatedWeights(p, target, solvers.Global), nil
	case methodGlobalDecay:
		return withLearnRate(p.DecaySpec(), allocatedWeights(p, target, solvers.Global)), nil
	case methodERKDecay:
		return withLearnRate(p.DecaySpec(), allocatedWeights(p, target, solvers.ERK)), nil
	}
	return nil, errors.Errorf("repro: LeNet pruning method %q is unknown (want %q, %q, %q, %q "+
		"or %q)", method, methodDense, methodGradual, methodGlobal, methodGlobalDecay,
		methodERKDecay)
}

func (r *LeNetFullRecipe) run(o Options) error {
	train, test, err := r.fashionMNIST()
	if err != nil {
		return err
	}
	p := r.Training
	seed := r.Seeds[0]
	init, err := NewNet(p.Sizes, seed)
	if err != nil {
		return err
	}

	start := time.Now()
	loadBefore := loadAverage()
	var results []PruneResult
	for _, run := range r.Runs {
		setup, err := leNetSetup(p, run.Method, run.Target)
		if err != nil {
			return err
		}
		t0 := time.Now()
		net, _, err := Train(p.RunConfig, init, train, seed, setup, nil, 0)
		if err != nil {
			return errors.Wrapf(err, "repro: lenet-full: %s %v", run.Method, run.Target)
		}
		acc, err := net.Accuracy(test)
		if err != nil {
			return err
		}
		res := PruneResult{Method: run.Method, Target: run.Target, Seed: seed, Accuracy: acc,
			Sparsity: net.Sparsity(), LayerSparsity: layerSparsity(net),
			Seconds: time.Since(t0).Seconds()}
		o.logf("%-26s target %.2f: accuracy %.4f, sparsity %.4f (%.0fs)", res.Method,
			res.Target, res.Accuracy, res.Sparsity, res.Seconds)
		results = append(results, res)
	}

	took := runTime{Wall: time.Since(start), LoadBefore: loadBefore, LoadAfter: loadAverage(),
		Steps: len(r.Runs) * p.Steps}
	return writeLeNetFullReport(o.Out, p, results, took)
}

func writeLeNetFullReport(dir string, p PruneProtocol, rs []PruneResult, took runTime) error {
	if err := startReport(dir, rs); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("| method | target sparsity | test accuracy (%) | measured sparsity | " +
		"sparsity per weight matrix | PyTorch reference (%) | difference (points) | " +
		"training time |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		ref, diff := "—", "—"
		if v, ok := leNetReference[r.Target]; ok {
			ref = fmt.Sprintf("%.1f", 100*v)
			diff = fmt.Sprintf("%+.2f", 100*(r.Accuracy-v))
		}
		layers := make([]string, len(r.LayerSparsity))
		for i, v := range r.LayerSparsity {
			layers[i] = fmt.Sprintf("%.3f", v)
		}
		perLayer := strings.Join(layers, ", ")
		if perLayer == "" {
			perLayer = "—"
		}
		fmt.Fprintf(&b, "| %s | %.0f%% | %.2f | %.4f | %s | %s | %s | %.0f s |\n", r.Method,
			100*r.Target, 100*r.Accuracy, r.Sparsity, perLayer, ref, diff, r.Seconds)
	}
	if err := plotLeNetFull(filepath.Join(dir, "accuracy-vs-reference.svg"), rs); err != nil {
		return err
	}
	text := fmt.Sprintf(leNetFullTemplate, p.Steps, p.Begin, p.End, p.Every, b.String(),
		leNetFullFindings(rs), took, leNetMethodList(p, rs))
	return writeFile(dir, "README.md", text)
}

// leNetMethodList returns a Markdown list that describes each pruning
// method among rs, in order of first appearance.
func leNetMethodList(p PruneProtocol, rs []PruneResult) string {
	describe := map[string]string{
		methodGradual: `prunes each weight matrix to the target (biases are not
  pruned), as the reference does.`,
		methodGlobal: `ranks the weights of all three matrices together
  (solvers.Allocate(solvers.Global)).`,
		methodGlobalDecay: `ranks the weights of all three matrices
  together (solvers.Allocate(solvers.Global)), so the small output layer
  keeps more of its weights than the large first layer. Once the target
  is reached, it decays the learning rate along
  ` + p.DecaySpec() + ` (solvers.WithLearnRateSchedule), a
  fine-tuning tail at a lower rate.`,
		methodERKDecay: `shares the target by the Erdős–Rényi-kernel rule
  (solvers.Allocate(solvers.ERK)) and decays the learning rate along
  ` + p.DecaySpec() + ` once the target is reached.`,
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, r := range rs {
		text, ok := describe[r.Method]
		if !ok || seen[r.Method] {
			continue
		}
		seen[r.Method] = true
		fmt.Fprintf(&b, "- %q %s\n", r.Method, text)
	}
	return b.String()
}

// plotLeNetFull draws each method's accuracy loss against the dense run
// over the compression (times fewer weights), on a log scale so that 10
// and 50 stand apart. Each curve starts at the dense run (1, 0), and the
// reference's loss is against its own dense accuracy.
func plotLeNetFull(path string, rs []PruneResult) error {
	fig := experiments.Figure{Title: "LeNet-300-100 on Fashion-MNIST, 10 epochs",
		XLabel: "times fewer weights (log scale)", YLabel: "loss against dense (points)",
		LogX: true}
	dense := math.NaN()
	byMethod := map[string][]PruneResult{}
	var order []string
	for _, r := range rs {
		if r.Method == methodDense {
			dense = r.Accuracy
			continue
		}
		if _, ok := byMethod[r.Method]; !ok {
			order = append(order, r.Method)
		}
		byMethod[r.Method] = append(byMethod[r.Method], r)
	}
	if math.IsNaN(dense) {
		return errors.New("repro: plotLeNetFull: no dense run to compare with")
	}
	for i, m := range order {
		runs := byMethod[m]
		sort.Slice(runs, func(a, b int) bool { return runs[a].Target < runs[b].Target })
		s := experiments.Series{Name: m, Color: i, X: []float64{1}, Y: []float64{0}}
		for _, r := range runs {
			s.X = append(s.X, compression(r.Target))
			s.Y = append(s.Y, 100*(dense-r.Accuracy))
		}
		fig.Series = append(fig.Series, s)
	}
	ref := experiments.Series{Name: "PyTorch reference", Dashed: true, Color: len(order)}
	for _, t := range []float64{0, 0.9, 0.98} {
		ref.X = append(ref.X, compression(t))
		ref.Y = append(ref.Y, 100*(leNetReference[0]-leNetReference[t]))
	}
	fig.Series = append(fig.Series, ref)
	return experiments.SaveFigure(path, fig)
}

// compression returns how many times fewer weights sparsity s leaves.
func compression(s float64) float64 { return 1 / (1 - s) }

// leNetFullFindings compares each run with the reference at its target
// and states whether the 90% point matches (at least 88.0%, about one
// seed-to-seed spread below 88.3%) and whether any method beats 83.8%
// at 98%.
func leNetFullFindings(rs []PruneResult) string {
	var b strings.Builder
	var dense, gradual90 *PruneResult
	for i, r := range rs {
		switch {
		case r.Method == methodDense:
			dense = &rs[i]
		case r.Method == methodGradual && r.Target == 0.9:
			gradual90 = &rs[i]
		}
	}
	if dense != nil && gradual90 != nil {
		gap := dense.Accuracy - gradual90.Accuracy
		verdict := "held"
		if gap > leNetNearDense {
			verdict = "did not hold"
		}
		fmt.Fprintf(&b, "- Zhu & Gupta (2017): gradual magnitude pruning keeps close to the "+
			"dense accuracy at high sparsity. At 90%% the gap to dense is %.2f points here "+
			"(%.1f in the reference), so the result %s (criterion: at most %.1f points).\n",
			100*gap, 100*(leNetReference[0]-leNetReference[0.9]), verdict, 100*leNetNearDense)
	}
	if dense != nil {
		byMethod := map[string]map[float64]float64{}
		var order []string
		for _, r := range rs {
			if r.Method == methodDense {
				continue
			}
			if byMethod[r.Method] == nil {
				byMethod[r.Method] = map[float64]float64{}
				order = append(order, r.Method)
			}
			byMethod[r.Method][r.Target] = r.Accuracy
		}
		b.WriteString(nearDenseFinding(dense.Accuracy, order, byMethod))
	}
	for _, r := range rs {
		ref, ok := leNetReference[r.Target]
		if !ok {
			continue
		}
		verdict := ""
		switch {
		case r.Target == 0.9 && r.Accuracy >= leNetMatch90:
			verdict = fmt.Sprintf(": matches (at least %.1f%%)", 100*leNetMatch90)
		case r.Target == 0.9:
			verdict = fmt.Sprintf(": does not match (below %.1f%%)", 100*leNetMatch90)
		case r.Target == 0.98 && r.Accuracy > ref:
			verdict = ": beats the reference"
		case r.Target == 0.98:
			verdict = ": does not beat the reference"
		}
		fmt.Fprintf(&b, "- %s at %.0f%%: %.2f%% vs %.1f%% (%+.2f points)%s.\n", r.Method,
			100*r.Target, 100*r.Accuracy, 100*ref, 100*(r.Accuracy-ref), verdict)
	}
	return b.String()
}

const leNetFullTemplate = `# LeNet-300-100 on Fashion-MNIST under the full reference protocol

The lenet-pruning reproduction runs a 5-times shorter protocol with
several seeds. This run checks the reference's own numbers directly, with
one seed. The model is LeNet-300-100 (784-300-100-10, ReLU), trained with
Adam 1e-3 at batch 100 for %[1]d steps (10 epochs of the 60,000 training
images). Gradual magnitude pruning follows a cubic schedule from step
%[2]d to step %[3]d with a mask update every %[4]d steps. Accuracy is
measured on the 10,000 test images. All runs start from the same
weights and see the same batches.

The reference was measured with PyTorch's torch.nn.utils.prune on the
same data, model and protocol: dense 88.7%%, 90%% sparse 88.3%%, 98%%
sparse 83.8%%.

Methods:

%[8]s
## Results

%[5]s
![accuracy lost against dense versus times fewer weights, with the reference](accuracy-vs-reference.svg)

## Findings (computed from the table)

%[6]s
At 98%% plain per-matrix pruning leaves the 100×10 output layer only 20
weights; global ranking lets each layer end at its own sparsity.

One seed only: differences below about 0.3 points are within the
seed-to-seed spread of the lenet-pruning reproduction.

## Run time

%[7]s
`
