package repro

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// LipschitzRecipe is the recipe of the Lipschitz reproduction: a
// spectral-norm penalty on every weight matrix of a digits MLP, its
// strength moved by dual ascent on the bound Π‖W_l‖₂.
type LipschitzRecipe struct {
	Common   `yaml:",inline"`
	Split    Split     `yaml:"split"`
	Training RunConfig `yaml:"training"`
	// Bound is the bound on Π‖W_l‖₂ that the dual ascent enforces.
	Bound float64 `yaml:"bound"`
	// DualRate is the step of the dual ascent
	// m ← clamp(m + DualRate·(Π‖W_l‖₂ − Bound), 0, 10⁶).
	DualRate float64 `yaml:"dual_rate"`
	// MeasureEvery is the number of steps between measurements of the
	// bound, which the dual policy reads.
	MeasureEvery int `yaml:"measure_every"`
	// PowerIterations is ops.SpectralNorm's number of power iterations
	// per step.
	PowerIterations int `yaml:"power_iterations"`
	// Radii are the L2 norms of the random input perturbations (pixels
	// are scaled to [0, 1]; an 8×8 image has norm about 4).
	Radii []float64 `yaml:"radii,flow"`
	// Draws is the number of random perturbations per test image and
	// radius.
	Draws int `yaml:"draws"`
}

func (r *LipschitzRecipe) common() *Common { return &r.Common }

func (r *LipschitzRecipe) check(fc *experiments.FieldCheck) {
	r.checkSeeds(fc)
	r.Split.check(fc)
	r.Training.check(fc, "training")
	checkPositive(fc, "bound", r.Bound)
	checkPositive(fc, "dual_rate", r.DualRate)
	if r.MeasureEvery <= 0 {
		fc.Fail("measure_every", "(%d) must be positive", r.MeasureEvery)
	}
	if r.PowerIterations <= 0 {
		fc.Fail("power_iterations", "(%d) must be positive", r.PowerIterations)
	}
	if len(r.Radii) == 0 {
		fc.Fail("radii", "is empty")
	}
	for i, v := range r.Radii {
		checkPositive(fc, key("radii", i), v)
	}
	if r.Draws <= 0 {
		fc.Fail("draws", "(%d) must be positive", r.Draws)
	}
}

// Schedule returns the λ schedule spec: m·constant(1), with m moved by
// dual ascent on the signal "lipschitz" from m = 0.
func (r *LipschitzRecipe) Schedule() string {
	return fmt.Sprintf("dual(constant(1), lipschitz, %v, %v, init=0)", r.Bound, r.DualRate)
}

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

// RunLipschitz trains the digits MLP of r with or without the
// spectral-norm penalty and measures its sensitivity to input
// perturbation on test.
func RunLipschitz(r *LipschitzRecipe, train, test *datasets.Set, penalized bool,
	seed int64) (LipschitzRun, error) {
	c := r.Training
	init, err := NewNet(c.Sizes, seed)
	if err != nil {
		return LipschitzRun{}, err
	}
	run := LipschitzRun{Penalized: penalized, Seed: seed}
	var setup Setup
	var sched schedules.Schedule
	if penalized {
		if sched, err = schedules.Parse(r.Schedule()); err != nil {
			return LipschitzRun{}, err
		}
		// Every matrix gets λ(t)·‖W_l‖₂ through the gradient, all sharing
		// one dual-ascent schedule.
		setup = penaltySetup(func() ops.Term { return &ops.SpectralNorm{Iters: r.PowerIterations} },
			sched, graphs.Gradient, "spectral")
	}
	hook := func(step int, m *Model, s *solvers.Solver) error {
		if step%r.MeasureEvery != 0 {
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
		run.Curve = append(run.Curve, p)
		return nil
	}
	net, _, err := Train(c, init, train, seed, setup, hook, 0)
	if err != nil {
		return LipschitzRun{}, err
	}
	if run.Accuracy, err = net.Accuracy(test); err != nil {
		return LipschitzRun{}, err
	}
	if run.LayerNorms, err = SpectralNorms(net); err != nil {
		return LipschitzRun{}, err
	}
	for _, radius := range r.Radii {
		s, err := MeasureSensitivity(net, test, radius, r.Draws, seed)
		if err != nil {
			return LipschitzRun{}, err
		}
		run.Sensitivity = append(run.Sensitivity, s)
	}
	return run, nil
}

func init() {
	register("lipschitz",
		"spectral-norm penalty under dual ascent on digits: sensitivity to input perturbation",
		func() Settings { return new(LipschitzRecipe) })
}

func (r *LipschitzRecipe) run(o Options) error {
	_, train, test, err := r.digits(r.Split)
	if err != nil {
		return err
	}
	start := time.Now()
	run := func(pen bool, seed int64) (LipschitzRun, error) {
		return RunLipschitz(r, train, test, pen, seed)
	}
	runs, err := runGrid(o, []bool{false, true}, r.Seeds, run, func(run LipschitzRun) string {
		s := run.Sensitivity[0]
		return fmt.Sprintf("seed %d penalized %v: accuracy %.4f, bound %.3g, mean Jacobian "+
			"%.3g, ratio %.3g", run.Seed, run.Penalized, run.Accuracy, s.LipschitzBound,
			s.MeanJacobian, s.MeanRatio)
	})
	if err != nil {
		return err
	}
	return r.writeReport(o.Out, train.Rows, test.Rows, runs, time.Since(start))
}

func (r *LipschitzRecipe) writeReport(dir string, nTrain, nTest int, runs []LipschitzRun,
	took time.Duration) error {
	if err := startReport(dir, runs); err != nil {
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
	for i, radius := range r.Radii {
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
		bm, bs := experiments.MeanSD(before)
		am, as := experiments.MeanSD(after)
		fmt.Fprintf(&b, "| %s | %.3g ± %.2g | %.3g ± %.2g |\n", c.name, bm, bs, am, as)
	}
	boundFig := experiments.Figure{Title: "Lipschitz bound Π‖W‖₂ during training (seed 1)", XLabel: "step",
		YLabel: "Π‖W‖₂"}
	lamFig := experiments.Figure{Title: "λ under dual ascent (seed 1)", XLabel: "step", YLabel: "λ"}
	for _, r := range runs {
		if r.Seed != 1 {
			continue
		}
		s := experiments.Series{Name: "no penalty", Color: 0}
		if r.Penalized {
			s = experiments.Series{Name: "spectral norm, dual ascent", Color: 1}
		}
		lam := experiments.Series{Name: "λ", Color: 1}
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
		boundFig.Series = append(boundFig.Series, experiments.Series{Name: "bound", Dashed: true, Color: 2,
			X: []float64{0, float64(last)}, Y: []float64{r.Bound, r.Bound}})
	}
	if err := experiments.SaveFigure(filepath.Join(dir, "bound.svg"), boundFig); err != nil {
		return err
	}
	if err := experiments.SaveFigure(filepath.Join(dir, "lambda.svg"), lamFig); err != nil {
		return err
	}
	text := fmt.Sprintf(lipschitzTemplate, r.Training.Steps, r.Training.LearnRate,
		r.Schedule(), r.Bound, r.MeasureEvery, b.String(), took.Round(time.Second), nTrain,
		nTest, r.Split.Seed, sizesText(r.Training.Sizes), r.Training.Batch, r.DualRate,
		r.Draws)
	return writeFile(dir, "README.md", text)
}

const lipschitzTemplate = `# Lipschitz control: spectral-norm penalty under dual ascent

A ReLU net's Lipschitz constant is at most the product of its layers'
spectral norms. Penalising each ‖W_l‖₂ with a strength that a dual-ascent
policy raises while the product exceeds a bound, and lowers while it
holds, should make the net less sensitive to input perturbation.

## Protocol

The 8×8 digits set (random split of %[8]d training and %[9]d test
images, split seed %[10]d, pixels scaled to [0, 1]), a %[11]s ReLU MLP,
Adam with learning rate %[2]g, batch %[12]d, %[1]d steps, through
solvers.Wrap.
"Before" trains without a penalty; "after" adds λ(t)·‖W_l‖₂ for each of
the three weight matrices (ops.SpectralNorm, through the gradient), all
with the schedule ` + "`%[3]s`" + `: λ = m, and after every step
that carries a measurement, m ← clamp(m + %[13]g·(Π‖W_l‖₂ − %[4]g), 0,
10⁶). The product is measured by SVD every %[5]d steps and fed to the
solver with Observe("lipschitz", ·). Both runs start from the same
weights for each seed.

Sensitivity is measured on the %[9]d test images: the spectral norm of
the input Jacobian at each image (the local Lipschitz constant), and the
response ‖f(x+δ) − f(x)‖₂/‖δ‖₂ of the logits to %[14]d random directions δ per
image at each radius, with the share of predictions that change.

## Results (mean ± standard deviation over seeds)

%[6]s
![bound over steps](bound.svg) ![lambda over steps](lambda.svg)

Total wall-clock time: %[7]s. Raw results with the curves: results.jsonl.
`
