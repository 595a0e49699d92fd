package repro

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// lipschitzConfig is the digits set-up of the Lipschitz reproduction.
var lipschitzConfig = RunConfig{Sizes: []int{64, 64, 64, 10}, Batch: 32, Steps: 2000,
	LearnRate: 3e-3}

const (
	// lipschitzBound is the bound on Π‖W_l‖₂ that the dual ascent
	// enforces; unconstrained training reaches about 90.
	lipschitzBound = 10.0
	// lipschitzEvery is the number of steps between measurements of the
	// bound, which the dual policy reads.
	lipschitzEvery = 10
	// lipschitzSpec is the λ schedule: m·constant(1), with m moved by
	// dual ascent m ← clamp(m + 0.01·(Π‖W_l‖₂ − 10), 0, 10⁶).
	lipschitzSpec = "dual(constant(1), lipschitz, 10, 0.01, init=0)"
)

// lipschitzRadii are the L2 norms of the random input perturbations
// (pixels are scaled to [0, 1]; an 8×8 image has norm about 4).
var lipschitzRadii = []float64{0.5, 2}

// LipschitzPoint is λ and the Lipschitz bound at one step.
type LipschitzPoint struct {
	Step   int     `json:"step"`
	Lambda float64 `json:"lambda"`
	Bound  float64 `json:"bound"`
}

// LipschitzRun is one trained net with its measured sensitivity.
type LipschitzRun struct {
	Penalized   bool             `json:"penalized"`
	Seed        int64            `json:"seed"`
	Accuracy    float64          `json:"accuracy"`
	LayerNorms  []float64        `json:"layer_norms"`
	Sensitivity []Sensitivity    `json:"sensitivity"` // one per radius
	Curve       []LipschitzPoint `json:"curve"`
}

// lipschitzSetup adds λ(t)·‖W_l‖₂ for every weight matrix through the
// gradient, all sharing one dual-ascent schedule.
func lipschitzSetup(sched schedules.Schedule) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		reg := graphs.NewRegularizer(m.Graph)
		for l, w := range m.Weights {
			if err := reg.Add(w, &ops.SpectralNorm{Iters: 2}, sched, graphs.WithMode(graphs.Gradient),
				graphs.WithName(fmt.Sprintf("spectral_%d", l))); err != nil {
				return nil, nil, err
			}
		}
		cost, err := reg.Augment(m.Loss)
		if err != nil {
			return nil, nil, err
		}
		return cost, []solvers.Option{solvers.WithRegularizer(reg)}, nil
	}
}

// RunLipschitz trains the digits MLP with or without the spectral-norm
// penalty and measures its sensitivity to input perturbation on test.
func RunLipschitz(c RunConfig, train, test *Dataset, penalized bool, seed int64) (LipschitzRun, error) {
	init, err := NewNet(c.Sizes, seed)
	if err != nil {
		return LipschitzRun{}, err
	}
	r := LipschitzRun{Penalized: penalized, Seed: seed}
	var setup Setup
	var sched schedules.Schedule
	if penalized {
		if sched, err = schedules.Parse(lipschitzSpec); err != nil {
			return LipschitzRun{}, err
		}
		setup = lipschitzSetup(sched)
	}
	hook := func(step int, m *Model, s *solvers.Solver) error {
		if step%lipschitzEvery != 0 {
			return nil
		}
		norms, err := SpectralNorms(m.Net())
		if err != nil {
			return err
		}
		bound := 1.0
		for _, v := range norms {
			bound *= v
		}
		s.Observe("lipschitz", bound)
		p := LipschitzPoint{Step: step, Bound: bound}
		if sched != nil {
			p.Lambda = sched.At(step)
		}
		r.Curve = append(r.Curve, p)
		return nil
	}
	net, _, err := Train(c, init, train, seed, setup, hook, 0)
	if err != nil {
		return LipschitzRun{}, err
	}
	if r.Accuracy, err = net.Accuracy(test); err != nil {
		return LipschitzRun{}, err
	}
	if r.LayerNorms, err = SpectralNorms(net); err != nil {
		return LipschitzRun{}, err
	}
	for _, radius := range lipschitzRadii {
		s, err := MeasureSensitivity(net, test, radius, 5, seed)
		if err != nil {
			return LipschitzRun{}, err
		}
		r.Sensitivity = append(r.Sensitivity, s)
	}
	return r, nil
}

func init() {
	registry = append(registry, Reproduction{
		Name:        "lipschitz",
		Description: "spectral-norm penalty under dual ascent on digits: sensitivity to input perturbation",
		DefaultData: "/work/shared/data",
		Run:         runLipschitz,
	})
}

func runLipschitz(o Options) error {
	d, err := LoadDigits(filepath.Join(o.Data, "digits.csv.gz"))
	if err != nil {
		return err
	}
	train, test, err := d.Split(1297, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	var runs []LipschitzRun
	for seed := int64(1); seed <= int64(o.seeds(3)); seed++ {
		for _, pen := range []bool{false, true} {
			r, err := RunLipschitz(lipschitzConfig, train, test, pen, seed)
			if err != nil {
				return err
			}
			s := r.Sensitivity[0]
			o.logf("seed %d penalized %v: accuracy %.4f, bound %.3g, mean Jacobian %.3g, ratio %.3g",
				seed, pen, r.Accuracy, s.LipschitzBound, s.MeanJacobian, s.MeanRatio)
			runs = append(runs, r)
		}
	}
	return writeLipschitzReport(o.Out, runs, time.Since(start))
}

func writeLipschitzReport(dir string, runs []LipschitzRun, took time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "repro: writing report")
	}
	if err := writeJSONL(filepath.Join(dir, "results.jsonl"), runs); err != nil {
		return err
	}
	type column struct {
		name string
		get  func(r LipschitzRun) float64
	}
	cols := []column{
		{"test accuracy (%)", func(r LipschitzRun) float64 { return 100 * r.Accuracy }},
		{"Π‖W‖₂ (global bound)", func(r LipschitzRun) float64 { return r.Sensitivity[0].LipschitzBound }},
		{"mean ‖∂f/∂x‖₂ at test points", func(r LipschitzRun) float64 { return r.Sensitivity[0].MeanJacobian }},
		{"max ‖∂f/∂x‖₂", func(r LipschitzRun) float64 { return r.Sensitivity[0].MaxJacobian }},
	}
	for i, radius := range lipschitzRadii {
		i := i
		cols = append(cols,
			column{fmt.Sprintf("mean ‖Δf‖/‖δ‖, ‖δ‖=%g", radius),
				func(r LipschitzRun) float64 { return r.Sensitivity[i].MeanRatio }},
			column{fmt.Sprintf("max ‖Δf‖/‖δ‖, ‖δ‖=%g", radius),
				func(r LipschitzRun) float64 { return r.Sensitivity[i].MaxRatio }},
			column{fmt.Sprintf("prediction flips (%%), ‖δ‖=%g", radius),
				func(r LipschitzRun) float64 { return 100 * r.Sensitivity[i].FlipRate }})
	}
	var b strings.Builder
	b.WriteString("| measure | before (no penalty) | after (spectral norm, dual ascent) |\n|---|---|---|\n")
	for _, c := range cols {
		var before, after []float64
		for _, r := range runs {
			if r.Penalized {
				after = append(after, c.get(r))
			} else {
				before = append(before, c.get(r))
			}
		}
		bm, bs := meanStd(before)
		am, as := meanStd(after)
		fmt.Fprintf(&b, "| %s | %.3g ± %.2g | %.3g ± %.2g |\n", c.name, bm, bs, am, as)
	}
	boundFig := Figure{Title: "Lipschitz bound Π‖W‖₂ during training (seed 1)", XLabel: "step",
		YLabel: "Π‖W‖₂"}
	lamFig := Figure{Title: "λ under dual ascent (seed 1)", XLabel: "step", YLabel: "λ"}
	for _, r := range runs {
		if r.Seed != 1 {
			continue
		}
		s := Series{Name: "no penalty", Color: 0}
		if r.Penalized {
			s = Series{Name: "spectral norm, dual ascent", Color: 1}
		}
		lam := Series{Name: "λ", Color: 1}
		for _, p := range r.Curve {
			s.X = append(s.X, float64(p.Step))
			s.Y = append(s.Y, p.Bound)
			lam.X = append(lam.X, float64(p.Step))
			lam.Y = append(lam.Y, p.Lambda)
		}
		boundFig.Series = append(boundFig.Series, s)
		if r.Penalized {
			lamFig.Series = append(lamFig.Series, lam)
		}
	}
	if n := len(runs); n > 0 && len(runs[0].Curve) > 0 {
		last := runs[0].Curve[len(runs[0].Curve)-1].Step
		boundFig.Series = append(boundFig.Series, Series{Name: "bound", Dashed: true, Color: 2,
			X: []float64{0, float64(last)}, Y: []float64{lipschitzBound, lipschitzBound}})
	}
	if err := SavePlot(filepath.Join(dir, "bound.svg"), boundFig); err != nil {
		return err
	}
	if err := SavePlot(filepath.Join(dir, "lambda.svg"), lamFig); err != nil {
		return err
	}
	text := fmt.Sprintf(lipschitzTemplate, lipschitzConfig.Steps, lipschitzConfig.LearnRate,
		lipschitzSpec, lipschitzBound, lipschitzEvery, b.String(), took.Round(time.Second))
	return writeFile(dir, "README.md", text)
}

const lipschitzTemplate = `# Lipschitz control: spectral-norm penalty under dual ascent

A ReLU net's Lipschitz constant is at most the product of its layers'
spectral norms. Penalising each ‖W_l‖₂ with a strength that a dual-ascent
policy raises while the product exceeds a bound, and lowers while it
holds, should make the net less sensitive to input perturbation.

## Protocol

The 8×8 digits set (random split of 1,297 training and 500 test images,
seed 0, pixels scaled to [0, 1]), a 64-64-64-10 ReLU MLP, Adam with
learning rate %[2]g, batch 32, %[1]d steps, through solvers.Wrap.
"Before" trains without a penalty; "after" adds λ(t)·‖W_l‖₂ for each of
the three weight matrices (ops.SpectralNorm, through the gradient), all
with the schedule ` + "`%[3]s`" + `: λ = m, and after every step
that carries a measurement, m ← clamp(m + 0.01·(Π‖W_l‖₂ − %[4]g), 0,
10⁶). The product is measured by SVD every %[5]d steps and fed to the
solver with Observe("lipschitz", ·). Both runs start from the same
weights for each seed.

Sensitivity is measured on the 500 test images: the spectral norm of
the input Jacobian at each image (the local Lipschitz constant), and the
response ‖f(x+δ) − f(x)‖₂/‖δ‖₂ of the logits to 5 random directions δ per
image at each radius, with the share of predictions that change.

## Results (mean ± standard deviation over seeds)

%[6]s
![bound over steps](bound.svg) ![lambda over steps](lambda.svg)

Total wall-clock time: %[7]s. Raw results with the curves: results.jsonl.
`
