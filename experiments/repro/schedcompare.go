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

// scheduleConfig is the digits set-up of the schedule comparison.
var scheduleConfig = RunConfig{Sizes: []int{64, 64, 10}, Batch: 32, Steps: 2000, LearnRate: 1e-2}

// scheduleFinal is the final L1 strength every schedule reaches.
const scheduleFinal = 0.3

// scheduleSpecs are the compared λ schedules, as schedules.Parse specs:
// all reach scheduleFinal by step 1,000 of 2,000 and hold it. The
// adaptive one multiplies constant(0.3) by m, moved so that the measured
// sparsity follows a linear ramp to 0.85, about what constant(0.3)
// reaches.
var scheduleSpecs = []struct{ Name, Spec string }{
	{"constant", "constant(0.3)"},
	{"linear", "linear(0, 0.3, 0, 1000)"},
	{"cubic", "poly(0, 0.3, 0, 1000, power=3)"},
	{"cyclic", "join(cyclic(0, 0.6, 250), 1000, constant(0.3))"},
	{"warm restarts", "join(restarts(0, 0.6, 250), 1000, constant(0.3))"},
	{"adaptive (track)", "track(constant(0.3), sparsity, linear(0, 0.85, 0, 1000), kp=2, ki=0.05)"},
}

// SchedulePoint is λ and the sparsity of all weights at one step.
type SchedulePoint struct {
	Step     int     `json:"step"`
	Lambda   float64 `json:"lambda"`
	Sparsity float64 `json:"sparsity"`
}

// ScheduleRun is one run of the schedule comparison.
type ScheduleRun struct {
	Name     string          `json:"name"`
	Spec     string          `json:"spec"`
	Seed     int64           `json:"seed"`
	Accuracy float64         `json:"accuracy"`
	Sparsity float64         `json:"sparsity"`
	Curve    []SchedulePoint `json:"curve"`
}

// RunSchedule trains the digits MLP with proximal L1 on every weight
// matrix under the λ schedule spec, recording λ and sparsity every
// `every` steps.
func RunSchedule(c RunConfig, train, test *Dataset, name, spec string, seed int64,
	every int) (ScheduleRun, error) {
	sched, err := schedules.Parse(spec)
	if err != nil {
		return ScheduleRun{}, err
	}
	init, err := NewNet(c.Sizes, seed)
	if err != nil {
		return ScheduleRun{}, err
	}
	setup := func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		reg := graphs.NewRegularizer(m.Graph)
		for l, w := range m.Weights {
			if err := reg.Add(w, ops.L1{}, sched, graphs.WithMode(graphs.Proximal),
				graphs.WithName(fmt.Sprintf("l1_%d", l))); err != nil {
				return nil, nil, err
			}
		}
		cost, err := reg.Augment(m.Loss)
		if err != nil {
			return nil, nil, err
		}
		return cost, []solvers.Option{solvers.WithRegularizer(reg)}, nil
	}
	r := ScheduleRun{Name: name, Spec: spec, Seed: seed}
	hook := func(step int, m *Model, s *solvers.Solver) error {
		if step%every != 0 {
			return nil
		}
		r.Curve = append(r.Curve, SchedulePoint{Step: step, Lambda: sched.At(step),
			Sparsity: m.Net().Sparsity()})
		return nil
	}
	net, _, err := Train(c, init, train, seed, setup, hook, 0)
	if err != nil {
		return ScheduleRun{}, errors.Wrapf(err, "repro: schedule %s", name)
	}
	r.Sparsity = net.Sparsity()
	r.Accuracy, err = net.Accuracy(test)
	return r, err
}

func init() {
	registry = append(registry, Reproduction{
		Name:        "schedule-comparison",
		Description: "constant, linear, cubic, cyclic, warm-restart and adaptive L1 schedules on digits",
		DefaultData: "/work/shared/data",
		Run:         runScheduleComparison,
	})
}

func runScheduleComparison(o Options) error {
	d, err := LoadDigits(filepath.Join(o.Data, "digits.csv.gz"))
	if err != nil {
		return err
	}
	train, test, err := d.Split(1297, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	var runs []ScheduleRun
	for _, s := range scheduleSpecs {
		for seed := int64(1); seed <= int64(o.seeds(5)); seed++ {
			r, err := RunSchedule(scheduleConfig, train, test, s.Name, s.Spec, seed, 20)
			if err != nil {
				return err
			}
			o.logf("%-16s seed %d: accuracy %.4f, sparsity %.4f", s.Name, seed, r.Accuracy, r.Sparsity)
			runs = append(runs, r)
		}
	}
	return writeScheduleReport(o.Out, runs, time.Since(start))
}

func writeScheduleReport(dir string, runs []ScheduleRun, took time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "repro: writing report")
	}
	if err := writeJSONL(filepath.Join(dir, "results.jsonl"), runs); err != nil {
		return err
	}
	byName := map[string][]ScheduleRun{}
	for _, r := range runs {
		byName[r.Name] = append(byName[r.Name], r)
	}
	var b strings.Builder
	b.WriteString("| schedule | spec | test accuracy (%) | final sparsity (%) | seeds |\n|---|---|---|---|---|\n")
	accFig := Figure{Title: "Accuracy vs sparsity per schedule (one point per seed)",
		XLabel: "sparsity (%)", YLabel: "test accuracy (%)"}
	spFig := Figure{Title: "Sparsity during training (seed 1)", XLabel: "step", YLabel: "sparsity (%)"}
	lamFig := Figure{Title: "λ during training (seed 1)", XLabel: "step", YLabel: "λ"}
	for i, s := range scheduleSpecs {
		rs := byName[s.Name]
		var accs, sps []float64
		pts := Series{Name: s.Name, Points: true, Color: i}
		for _, r := range rs {
			accs = append(accs, r.Accuracy)
			sps = append(sps, r.Sparsity)
			pts.X = append(pts.X, 100*r.Sparsity)
			pts.Y = append(pts.Y, 100*r.Accuracy)
		}
		am, as := meanStd(accs)
		sm, ss := meanStd(sps)
		fmt.Fprintf(&b, "| %s | `%s` | %.2f ± %.2f | %.2f ± %.2f | %d |\n", s.Name, s.Spec,
			100*am, 100*as, 100*sm, 100*ss, len(rs))
		accFig.Series = append(accFig.Series, pts)
		if len(rs) > 0 {
			sp := Series{Name: s.Name, Color: i}
			lam := Series{Name: s.Name, Color: i}
			for _, p := range rs[0].Curve {
				sp.X = append(sp.X, float64(p.Step))
				sp.Y = append(sp.Y, 100*p.Sparsity)
				lam.X = append(lam.X, float64(p.Step))
				lam.Y = append(lam.Y, p.Lambda)
			}
			spFig.Series = append(spFig.Series, sp)
			lamFig.Series = append(lamFig.Series, lam)
		}
	}
	for name, fig := range map[string]Figure{"accuracy-vs-sparsity.svg": accFig,
		"sparsity.svg": spFig, "lambda.svg": lamFig} {
		if err := SavePlot(filepath.Join(dir, name), fig); err != nil {
			return err
		}
	}
	text := fmt.Sprintf(scheduleTemplate, scheduleConfig.Steps, scheduleConfig.LearnRate,
		scheduleFinal, b.String(), took.Round(time.Second))
	return writeFile(dir, "README.md", text)
}

const scheduleTemplate = `# Schedule comparison at a fixed final strength

Does the path λ takes matter when every schedule ends at the same L1
strength? Six schedules of λ(t) for a proximal L1 penalty on every
weight matrix are compared on the same model, data and seeds.

## Protocol

The 8×8 digits set (random split of 1,297 training and 500 test images,
seed 0), a 64-64-10 ReLU MLP, Adam with learning rate %[2]g, batch 32,
%[1]d steps, through solvers.Wrap. The L1 term acts through its proximal
step with threshold η·λ(t) on the three weight matrices (biases are not
penalised). Every timetable reaches λ = %[3]g by step 1,000 and holds
it; the adaptive schedule (schedules.Track) multiplies constant(%[3]g)
by m, which a PI controller on log m moves so that the measured
sparsity follows a ramp to 85%%, so its final λ is not fixed in advance.

## Results (mean ± standard deviation over seeds)

%[4]s
![accuracy versus sparsity](accuracy-vs-sparsity.svg)

![sparsity over steps](sparsity.svg) ![lambda over steps](lambda.svg)

Total wall-clock time: %[5]s. Raw results with the curves: results.jsonl.
`
