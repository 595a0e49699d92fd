package repro

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// ScheduleRecipe is the recipe of the schedule comparison: proximal L1
// on every weight matrix of a digits MLP under several λ schedules that
// end at the same strength.
type ScheduleRecipe struct {
	Common   `yaml:",inline"`
	Split    Split     `yaml:"split"`
	Training RunConfig `yaml:"training"`
	// FinalLambda is the strength every fixed timetable reaches by the
	// last step; the recipe is rejected if one ends elsewhere.
	FinalLambda float64 `yaml:"final_lambda"`
	// RecordEvery is the number of steps between points of the λ and
	// sparsity curves.
	RecordEvery int `yaml:"record_every"`
	// Schedules are the compared λ schedules.
	Schedules []NamedSchedule `yaml:"schedules"`
}

// NamedSchedule is a λ schedule in the schedules.Parse form, with the
// name the report gives it. An adaptive schedule's final λ depends on
// the measured signal, so the final-strength check skips it.
type NamedSchedule struct {
	Name     string `yaml:"name"`
	Spec     string `yaml:"spec"`
	Adaptive bool   `yaml:"adaptive,omitempty"`
}

func (r *ScheduleRecipe) common() *Common { return &r.Common }

func (r *ScheduleRecipe) check(fc *experiments.FieldCheck) {
	r.checkSeeds(fc)
	r.Split.check(fc)
	r.Training.check(fc, "training")
	checkPositive(fc, "final_lambda", r.FinalLambda)
	if r.RecordEvery <= 0 {
		fc.Fail("record_every", "(%d) must be positive", r.RecordEvery)
	}
	if len(r.Schedules) == 0 {
		fc.Fail("schedules", "is empty")
	}
	for i, s := range r.Schedules {
		if s.Name == "" {
			fc.Fail(key("schedules", i)+".name", "is missing")
		}
		sched, err := schedules.Parse(s.Spec)
		if err != nil {
			fc.Fail(key("schedules", i)+".spec", "(%q): %v", s.Spec, err)
			continue
		}
		if v := sched.At(r.Training.Steps); !s.Adaptive && v != r.FinalLambda {
			fc.Fail(key("schedules", i)+".spec", "(%q) ends at λ = %v, not final_lambda (%v)",
				s.Spec, v, r.FinalLambda)
		}
	}
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
func RunSchedule(c RunConfig, train, test *datasets.Set, name, spec string, seed int64,
	every int) (ScheduleRun, error) {
	sched, err := schedules.Parse(spec)
	if err != nil {
		return ScheduleRun{}, err
	}
	init, err := NewNet(c.Sizes, seed)
	if err != nil {
		return ScheduleRun{}, err
	}
	setup := penaltySetup(func() ops.Term { return ops.L1{} }, sched, graphs.Proximal, "l1")
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
	register("schedule-comparison",
		"constant, linear, cubic, cyclic, warm-restart and adaptive L1 schedules on digits",
		func() Settings { return new(ScheduleRecipe) })
}

func (r *ScheduleRecipe) run(o Options) error {
	_, train, test, err := r.digits(r.Split)
	if err != nil {
		return err
	}
	start := time.Now()
	run := func(s NamedSchedule, seed int64) (ScheduleRun, error) {
		return RunSchedule(r.Training, train, test, s.Name, s.Spec, seed, r.RecordEvery)
	}
	runs, err := runGrid(o, r.Schedules, r.Seeds, run, func(run ScheduleRun) string {
		return fmt.Sprintf("%-16s seed %d: accuracy %.4f, sparsity %.4f", run.Name, run.Seed,
			run.Accuracy, run.Sparsity)
	})
	if err != nil {
		return err
	}
	return r.writeReport(o.Out, train.Rows, test.Rows, runs, time.Since(start))
}

func (r *ScheduleRecipe) writeReport(dir string, nTrain, nTest int, runs []ScheduleRun,
	took time.Duration) error {
	if err := startReport(dir, runs); err != nil {
		return err
	}
	byName := map[string][]ScheduleRun{}
	for _, run := range runs {
		byName[run.Name] = append(byName[run.Name], run)
	}
	first := r.Seeds[0]
	var table strings.Builder
	table.WriteString("| schedule | spec | test accuracy (%) | final sparsity (%) | seeds |\n" +
		"|---|---|---|---|---|\n")
	accFig := experiments.Figure{Title: "Accuracy against sparsity per schedule (one point per seed)",
		XLabel: "sparsity (%)", YLabel: "test accuracy (%)"}
	spFig := experiments.Figure{Title: fmt.Sprintf("Sparsity during training (seed %d)", first),
		XLabel: "step", YLabel: "sparsity (%)"}
	lamFig := experiments.Figure{Title: fmt.Sprintf("λ during training (seed %d)", first),
		XLabel: "step", YLabel: "λ"}
	stats := map[string]scheduleStats{}
	for i, s := range r.Schedules {
		rs := byName[s.Name]
		var accs, sps []float64
		pts := experiments.Series{Name: s.Name, Points: true, Color: i}
		for _, run := range rs {
			accs = append(accs, run.Accuracy)
			sps = append(sps, run.Sparsity)
			pts.X = append(pts.X, 100*run.Sparsity)
			pts.Y = append(pts.Y, 100*run.Accuracy)
		}
		var st scheduleStats
		st.acc, st.accSD = experiments.MeanSD(accs)
		st.sparsity, st.sparsitySD = experiments.MeanSD(sps)
		stats[s.Name] = st
		fmt.Fprintf(&table, "| %s | `%s` | %.2f ± %.2f | %.2f ± %.2f | %d |\n", s.Name, s.Spec,
			100*st.acc, 100*st.accSD, 100*st.sparsity, 100*st.sparsitySD, len(rs))
		accFig.Series = append(accFig.Series, pts)
		sp := experiments.Series{Name: s.Name, Color: i}
		lam := experiments.Series{Name: s.Name, Color: i}
		for _, run := range rs {
			if run.Seed != first {
				continue
			}
			for _, p := range run.Curve {
				sp.X = append(sp.X, float64(p.Step))
				sp.Y = append(sp.Y, 100*p.Sparsity)
				lam.X = append(lam.X, float64(p.Step))
				lam.Y = append(lam.Y, p.Lambda)
			}
		}
		spFig.Series = append(spFig.Series, sp)
		lamFig.Series = append(lamFig.Series, lam)
	}
	for name, fig := range map[string]experiments.Figure{"accuracy-vs-sparsity.svg": accFig,
		"sparsity.svg": spFig, "lambda.svg": lamFig} {
		if err := experiments.SaveFigure(filepath.Join(dir, name), fig); err != nil {
			return err
		}
	}
	text := fmt.Sprintf(scheduleTemplate, r.Training.Steps, r.Training.LearnRate,
		r.FinalLambda, table.String(), took.Round(time.Second), nTrain, nTest, r.Split.Seed,
		r.Training.Batch, sizesText(r.Training.Sizes), len(r.Training.Sizes)-1,
		r.scheduleFindings(stats), len(r.Seeds))
	return writeFile(dir, "README.md", text)
}

// scheduleStats is the mean and standard deviation over seeds of one
// schedule's final test accuracy and sparsity.
type scheduleStats struct {
	acc, accSD, sparsity, sparsitySD float64
}

// scheduleFindings compares the ramped schedules (linear, cubic) with
// constant, and states how far the sparsity of the fixed timetables
// spreads.
func (r *ScheduleRecipe) scheduleFindings(stats map[string]scheduleStats) string {
	var b strings.Builder
	base, ok := stats["constant"]
	if !ok {
		return "The recipe has no schedule named constant, so there is nothing to compare with.\n"
	}
	kept, sparser := true, false

	for _, name := range []string{"linear", "cubic"} {
		st, ok := stats[name]
		if !ok {
			continue
		}
		// A ramp counts as keeping the accuracy when its mean is not
		// lower than constant's by more than the larger of the two
		// standard deviations.
		margin := math.Max(st.accSD, base.accSD)
		keeps := st.acc >= base.acc-margin
		kept = kept && keeps
		sparser = sparser || st.sparsity < base.sparsity-math.Max(st.sparsitySD, base.sparsitySD)
		fmt.Fprintf(&b, "- %s: test accuracy %+.2f points against constant (margin %.2f), "+
			"final sparsity %+.2f points.\n", name, 100*(st.acc-base.acc), 100*margin,
			100*(st.sparsity-base.sparsity))
	}

	low, high := math.Inf(1), math.Inf(-1)
	var lowName, highName string
	for _, s := range r.Schedules {
		st := stats[s.Name]
		if s.Adaptive {
			fmt.Fprintf(&b, "- %s: final sparsity %.2f%% ± %.2f, test accuracy %.2f%%.\n",
				s.Name, 100*st.sparsity, 100*st.sparsitySD, 100*st.acc)
			continue
		}
		if st.sparsity < low {
			low, lowName = st.sparsity, s.Name
		}
		if st.sparsity > high {
			high, highName = st.sparsity, s.Name
		}
	}
	fmt.Fprintf(&b, "- The fixed timetables end at the same λ but their final sparsity "+
		"ranges from %.2f%% (%s) to %.2f%% (%s), so the path λ takes changes the result.\n",
		100*low, lowName, 100*high, highName)

	verdict := "**Held.** Neither ramp lost accuracy against constant beyond the seed spread."
	if !kept {
		verdict = "**Did not hold.** A ramp lost accuracy against constant beyond the seed spread."
	}
	if sparser {
		verdict += " A ramp also ended less sparse than constant by more than the seed " +
			"spread, so part of its accuracy comes from keeping more weights. The plot of " +
			"accuracy against sparsity shows the trade-off."
	}
	return verdict + "\n\n" + b.String()
}

const scheduleTemplate = `# Schedule comparison at a fixed final strength

Does the path λ takes matter when every schedule ends at the same L1
strength? Six schedules of λ(t) for a proximal L1 penalty on every
weight matrix are compared on the same model, data and seeds.

## Expected result and whether it held

Expected: raising the strength gradually (a linear or cubic ramp, as in
gradual pruning) keeps at least the accuracy of applying the final
strength from the first step (constant). The net first fits the data,
and the penalty then removes the weights it needs least.

%[12]s
## Protocol

The 8×8 digits set (random split of %[6]d training and %[7]d test
images, split seed %[8]d), a %[10]s ReLU MLP, Adam with learning rate
%[2]g, batch %[9]d, %[1]d steps, through solvers.Wrap, %[13]d seeds. The
L1 term acts through its proximal step with threshold η·λ(t) on the %[11]d
weight matrices (biases are not penalised). Every fixed timetable
reaches λ = %[3]g by the same step and holds it. The adaptive schedule
(schedules.Track) multiplies constant(%[3]g) by m, which a PI
controller on log m moves so that the measured sparsity follows a
ramp, so its final λ is not fixed in advance. The recipe is
experiments/recipes/repro/schedule-comparison.yaml.

## Results (mean ± standard deviation over seeds)

%[4]s
![accuracy against sparsity](accuracy-vs-sparsity.svg)

![sparsity over steps](sparsity.svg)

![lambda over steps](lambda.svg)

Total wall-clock time: %[5]s on 2 shared cores. Raw results with the
curves: results.jsonl. Rerun with ` + "`regsched repro schedule-comparison`" + `.
`
