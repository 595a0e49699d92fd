package repro

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// SparseRun is one run of the sparse-training comparison.
type SparseRun struct {
	Method   string  `json:"method"` // static, SET or RigL
	Target   float64 `json:"target"`
	Seed     int64   `json:"seed"`
	Accuracy float64 `json:"accuracy"`
	Sparsity float64 `json:"sparsity"`
}

// sparseSetup draws a random mask of the target sparsity at step 0,
// shared among the weight matrices by the Erdős–Rényi-kernel rule, and
// keeps it fixed (static) or moves it by SET or RigL drop-and-grow.
func sparseSetup(g Regrowth, method string, target float64, seed int64) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		sched, err := schedules.Parse(fmt.Sprintf("constant(%v)", target))
		if err != nil {
			return nil, nil, err
		}
		popts := []solvers.PruneOption{solvers.Allocate(solvers.ERK)}
		every, end, frac := g.Every, g.End, g.DropFraction
		switch method {
		case "static":
		case "SET":
			popts = append(popts, solvers.WithRegrowth(solvers.SET{Every: every, End: end,
				DropFraction: frac}))
		case "RigL":
			popts = append(popts, solvers.WithRegrowth(solvers.RigL{Every: every, End: end,
				DropFraction: frac}))
		default:
			return nil, nil, errors.Errorf("repro: unknown sparse-training method %q", method)
		}
		return nil, []solvers.Option{
			solvers.WithSeed(uint64(seed)),
			solvers.WithPruningGroup(m.Weights, solvers.Random{}, sched, popts...),
		}, nil
	}
}

// RunSparse trains one sparse-from-scratch run, with drop-and-grow
// cadence g for SET and RigL.
func RunSparse(c RunConfig, g Regrowth, train, test *datasets.Set, method string,
	target float64, seed int64) (SparseRun, error) {
	init, err := NewNet(c.Sizes, seed)
	if err != nil {
		return SparseRun{}, err
	}
	net, _, err := Train(c, init, train, seed, sparseSetup(g, method, target, seed), nil, 0)
	if err != nil {
		return SparseRun{}, errors.Wrapf(err, "repro: %s at %v", method, target)
	}
	r := SparseRun{Method: method, Target: target, Seed: seed, Sparsity: net.Sparsity()}
	r.Accuracy, err = net.Accuracy(test)
	return r, err
}

func init() {
	register("sparse-training",
		"RigL and SET vs static sparse training of LeNet-300-100 on Fashion-MNIST",
		func() Settings { return new(SparseRecipe) })
}

func (r *SparseRecipe) run(o Options) error {
	train, test, err := r.fashionMNIST()
	if err != nil {
		return err
	}
	type point struct {
		target float64
		method string
	}
	var points []point
	for _, target := range r.Targets {
		for _, method := range r.Methods {
			points = append(points, point{target, method})
		}
	}
	start := time.Now()
	took := runTime{LoadBefore: loadAverage(), Steps: len(points) * len(r.Seeds) * r.Training.Steps}
	runs, err := runGrid(o, points, r.Seeds, func(p point, seed int64) (SparseRun, error) {
		return RunSparse(r.Training, r.Regrowth, train, test, p.method, p.target, seed)
	}, func(run SparseRun) string {
		return fmt.Sprintf("seed %d %-6s target %.2f: accuracy %.4f, sparsity %.4f",
			run.Seed, run.Method, run.Target, run.Accuracy, run.Sparsity)
	})
	if err != nil {
		return err
	}
	took.Wall, took.LoadAfter = time.Since(start), loadAverage()
	return r.writeReport(o.Out, runs, took)
}

func (sr *SparseRecipe) writeReport(dir string, runs []SparseRun, took runTime) error {
	if err := startReport(dir, runs); err != nil {
		return err
	}
	type key struct {
		method string
		target float64
	}
	acc := map[key][]float64{}
	sp := map[key][]float64{}
	bySeed := map[key]map[int64]float64{}
	for _, r := range runs {
		k := key{r.Method, r.Target}
		acc[k] = append(acc[k], r.Accuracy)
		sp[k] = append(sp[k], r.Sparsity)
		if bySeed[k] == nil {
			bySeed[k] = map[int64]float64{}
		}
		bySeed[k][r.Seed] = r.Accuracy
	}
	// gain returns the accuracy differences from static, seed by seed:
	// each seed starts every method from the same weights and mask.
	gain := func(m string, t float64) []float64 {
		var d []float64
		for seed, a := range bySeed[key{m, t}] {
			if base, ok := bySeed[key{"static", t}][seed]; ok {
				d = append(d, a-base)
			}
		}
		return d
	}

	var b strings.Builder
	b.WriteString("| sparsity | method | test accuracy (%) | gain over static, paired by seed " +
		"(points) | measured sparsity | seeds |\n|---|---|---|---|---|---|\n")
	var findings strings.Builder
	var notAbove, withinSpread []string
	for _, t := range sr.Targets {
		for _, m := range sr.Methods {
			am, as := experiments.MeanSD(acc[key{m, t}])
			sm, _ := experiments.MeanSD(sp[key{m, t}])
			gainText := "—"
			if m != "static" {
				gm, gs := experiments.MeanSD(gain(m, t))
				gainText = fmt.Sprintf("%+.2f ± %.2f", 100*gm, 100*gs)
				label := fmt.Sprintf("%s at %.0f%%", m, 100*t)
				verdict, spread := "above", ""
				switch {
				case !(gm > 0):
					verdict = "not above"
					notAbove = append(notAbove, label)
				case gm <= gs:
					spread = ", a gain within the seed-to-seed spread"
					withinSpread = append(withinSpread, label)
				}
				fmt.Fprintf(&findings, "- %.0f%%: %s is %s static sparse training (%+.2f ± %.2f "+
					"points, paired by seed)%s.\n", 100*t, m, verdict, 100*gm, 100*gs, spread)
			}
			fmt.Fprintf(&b, "| %.0f%% | %s | %.2f ± %.2f | %s | %.4f | %d |\n", 100*t, m, 100*am,
				100*as, gainText, sm, len(acc[key{m, t}]))
		}
	}
	verdict := "held: every regrowth method gains more than its seed-to-seed spread at every " +
		"target"
	switch {
	case len(notAbove) > 0:
		verdict = "did not hold everywhere: not above static for " + strings.Join(notAbove, ", ")
	case len(withinSpread) > 0:
		verdict = "held only weakly: every regrowth method is above static, but the gain is " +
			"within the seed-to-seed spread for " + strings.Join(withinSpread, ", ")
	}
	fmt.Fprintf(&findings, "- Evci et al. and Mocanu et al. find that regrowth beats a fixed "+
		"random mask at equal sparsity. With %d seeds, that result %s.\n",
		len(bySeed[key{"static", sr.Targets[0]}]), verdict)
	if slices.Contains(sr.Methods, "RigL") && slices.Contains(sr.Methods, "SET") {
		var diffs []string
		ahead := true
		for _, t := range sr.Targets {
			r, _ := experiments.MeanSD(gain("RigL", t))
			set, _ := experiments.MeanSD(gain("SET", t))
			diffs = append(diffs, fmt.Sprintf("%+.2f points at %.0f%%", 100*(r-set), 100*t))
			ahead = ahead && r > set
		}
		held := "held here"
		if !ahead {
			held = "did not hold here"
		}
		fmt.Fprintf(&findings, "- Evci et al. also find RigL ahead of SET. RigL minus SET: %s, "+
			"so that result %s.\n", strings.Join(diffs, ", "), held)
	}

	if err := sr.plotGains(filepath.Join(dir, "accuracy.svg"), func(m string, t float64) (float64,
		float64) {
		return experiments.MeanSD(gain(m, t))
	}); err != nil {
		return err
	}
	g := sr.Regrowth
	c := sr.Training
	text := fmt.Sprintf(sparseTemplate, c.Steps, g.Every, g.End, g.DropFraction, b.String(),
		findings.String(), took, c.Batch, float64(c.Steps*c.Batch)/60000, c.LearnRate)
	return writeFile(dir, "README.md", text)
}

// plotGains draws each regrowth method's mean gain over static sparse
// training, with the seed-to-seed deviation as error bars, against the
// sparsity. The dashed static line at 0 starts left of the first target
// so that the legend in the top-left corner stays clear of the points.
func (sr *SparseRecipe) plotGains(path string,
	gain func(method string, target float64) (mean, sd float64)) error {
	fig := experiments.Figure{Title: "Sparse training of LeNet-300-100 on Fashion-MNIST",
		XLabel: "sparsity (%)", YLabel: "gain over static (points)"}
	for i, m := range sr.Methods {
		if m == "static" {
			continue
		}
		s := experiments.Series{Name: m, Color: i}
		for _, t := range sr.Targets {
			mean, sd := gain(m, t)
			s.X = append(s.X, 100*t)
			s.Y = append(s.Y, 100*mean)
			s.Err = append(s.Err, 100*sd)
		}
		fig.Series = append(fig.Series, s)
	}
	low, high := 100*slices.Min(sr.Targets), 100*slices.Max(sr.Targets)
	fig.Series = append(fig.Series, experiments.Series{Name: "static", Dashed: true,
		X: []float64{low - (high-low+1)/2, high}, Y: []float64{0, 0}})
	return experiments.SaveFigure(path, fig)
}

const sparseTemplate = `# RigL and SET vs static sparse training

Evci et al. (2020, RigL) and Mocanu et al. (2018, SET) train a sparse net
from scratch and move its mask during training: drop the kept weights of
smallest magnitude and grow as many pruned ones, chosen by gradient
magnitude (RigL) or at random (SET). Both report higher accuracy than a
mask fixed at initialisation at the same sparsity.

## Protocol

LeNet-300-100 on Fashion-MNIST (60,000 training and 10,000 test images),
%[1]d steps of batch %[8]d (%.3[9]g epochs), Adam with learning rate
%[10]g (solvers.NewAdam, which resets the moments of regrown weights).
Every run starts from a random mask of the target sparsity, shared
among the three weight matrices by the Erdős–Rényi-kernel rule
(solvers.Allocate(solvers.ERK)). Biases are dense. For each seed, all
methods start from the same weights, mask and batch order. Static keeps
that mask. SET and RigL drop and grow every %[2]d
steps until step %[3]d, starting with %[4]g of the kept weights and
decaying by a cosine. A grown weight starts at 0, and one that gets no
gradient (a weight from a border pixel that is blank in every image)
stays 0, so SET's measured sparsity can exceed the target.

## Results (mean ± standard deviation over seeds)

%[5]s
![gain over static sparse training by sparsity](accuracy.svg)

## Findings (computed from the table)

%[6]s
## Run time

%[7]s
Raw results: results.jsonl.
`
