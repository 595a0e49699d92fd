package experiments

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/schedules"
)

// ReportFile is the default name of the Markdown file WriteReport
// writes.
const ReportFile = "report.md"

// ReportOptions configures WriteReport. The zero value writes SVG only.
type ReportOptions struct {
	// Title heads the report. The default is "regsched report".
	Title string
	// PNG also writes every plot as PNG beside its SVG.
	PNG bool
	// Markdown is the name of the Markdown file inside the report
	// folder. The default is ReportFile. A folder meant for browsing on
	// a code host can use "README.md".
	Markdown string
}

// WriteReport writes the Markdown file (see ReportOptions.Markdown) and
// its SVG plots into dir (created if needed) from the records of one or
// more runs. The report contains a summary table with the mean and
// sample standard deviation over seeds, sparsity and accuracy over
// steps, λ and multipliers with policy decisions, and accuracy against
// sparsity across runs. For the first seed of every group it adds the
// per-layer sparsity, weight-magnitude histograms at phase boundaries,
// gradient norms, mask flips and the phases (see Phase).
//
// The files are written into a temporary folder beside dir and moved
// into dir only when all of them are written, so an error while writing
// leaves dir as it was. A failed rename while moving the files into an
// existing dir can leave some of its plots replaced (see moveReport).
func WriteReport(dir string, records []Record, opts ReportOptions) error {
	if len(records) == 0 {
		return errors.New("experiments: WriteReport: no records")
	}
	if opts.Title == "" {
		opts.Title = "regsched report"
	}
	if opts.Markdown == "" {
		opts.Markdown = ReportFile
	}
	if opts.Markdown != filepath.Base(opts.Markdown) {
		return errors.Errorf("experiments: WriteReport: Markdown file name %q contains a folder",
			opts.Markdown)
	}
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return errors.Errorf("experiments: WriteReport: %s exists and is not a folder", dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return errors.Wrap(err, "experiments: WriteReport")
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return errors.Wrap(err, "experiments: WriteReport")
	}
	defer os.RemoveAll(tmp)
	if err := writeReportFiles(tmp, records, opts); err != nil {
		return err
	}
	return moveReport(tmp, dir, opts.Markdown)
}

// moveReport moves the report files written into the folder tmp to dir.
// A dir that does not exist yet is replaced by tmp in one rename.
// Otherwise each file is renamed into dir, the Markdown file last, so
// dir never contains a Markdown file whose plots are missing.
func moveReport(tmp, dir, markdown string) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return errors.Wrap(err, "experiments: WriteReport")
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return errors.Wrap(os.Rename(tmp, dir), "experiments: WriteReport")
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return errors.Wrap(err, "experiments: WriteReport")
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[j].Name() == markdown })
	for _, e := range entries {
		err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name()))
		if err != nil {
			return errors.Wrap(err, "experiments: WriteReport")
		}
	}
	return nil
}

// writeReportFiles writes the Markdown file and the plots of a report
// into the existing folder dir.
func writeReportFiles(dir string, records []Record, opts ReportOptions) error {
	groups := groupRecords(records)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", opts.Title)
	writeProvenance(&b, groups)

	b.WriteString("## Summary\n\n")
	writeSummaryTable(&b, groups)
	writePhaseOutline(&b, groups)

	b.WriteString("\n## Sparsity and accuracy over steps\n\n")
	if err := plotSparsityAccuracy(groups, filepath.Join(dir, "sparsity-accuracy.svg"), opts.PNG); err != nil {
		return err
	}
	b.WriteString("Solid lines: test accuracy; dashed lines: achieved sparsity of the " +
		"pruned (or penalised) weight matrices; means over seeds.\n\n" +
		"![sparsity and accuracy](sparsity-accuracy.svg)\n")

	b.WriteString("\n## Penalty strength λ and multipliers\n\n")
	drawn, err := plotSchedules(groups, filepath.Join(dir, "lambda.svg"),
		filepath.Join(dir, "multiplier.svg"), opts.PNG)
	if err != nil {
		return err
	}
	if drawn {
		b.WriteString("λ(t) of each penalty term, and the multiplier m that an adaptive " +
			"policy moves (λ = base(t)·m; m stays 1 for a fixed schedule). Crosses mark " +
			"policy decisions at the new m.\n\n![lambda](lambda.svg)\n\n" +
			"![multiplier](multiplier.svg)\n")
	} else {
		b.WriteString("These runs have no penalty terms. The pruning schedule's target " +
			"sparsity plays the role of λ: it is the dashed \"target sparsity\" line in " +
			"each run's phase plot below, and the dashed \"target\" lines in its " +
			"per-layer sparsity plot.\n")
	}

	b.WriteString("\n## Accuracy against sparsity across runs\n\n")
	if err := plotAccuracyVsSparsity(groups, filepath.Join(dir, "accuracy-vs-sparsity.svg"), opts.PNG); err != nil {
		return err
	}
	b.WriteString("![accuracy against sparsity](accuracy-vs-sparsity.svg)\n")

	b.WriteString("\n## Gradient norms and mask flips\n\n")
	if err := plotOverSteps(groups, "L2 norm of all weight gradients (last step before each evaluation)",
		"gradient norm", func(r *Record) float64 { return r.GradNorm },
		filepath.Join(dir, "grad-norms.svg"), opts.PNG); err != nil {
		return err
	}
	if err := plotOverSteps(groups, "Mask entries changed (pruned or regrown) per mask update",
		"flips per update", flipsPerUpdate, filepath.Join(dir, "mask-flips.svg"), opts.PNG); err != nil {
		return err
	}
	b.WriteString("The mask-flip plot divides the entries changed between two evaluations " +
		"by the mask updates between them (0 where none ran).\n\n" +
		"![gradient norms](grad-norms.svg)\n\n![mask flips per update](mask-flips.svg)\n")

	b.WriteString("\n## Phases\n\n")
	b.WriteString(phaseRules)
	for i, g := range groups {
		if err := writeGroupSection(&b, dir, i, g, opts.PNG); err != nil {
			return err
		}
	}
	return errors.Wrap(os.WriteFile(filepath.Join(dir, opts.Markdown), b.Bytes(), 0o644),
		"experiments: WriteReport")
}

// flipsPerUpdate returns the mask entries changed per mask update in the
// window that ends at r, or 0 when no mask update ran in it.
func flipsPerUpdate(r *Record) float64 {
	if r.MaskUpdates == 0 {
		return 0
	}
	return float64(r.MaskFlips) / float64(r.MaskUpdates)
}

// phaseRules states the phase rules in the report's words.
var phaseRules = fmt.Sprintf(`Each run is cut into windows between consecutive evaluations (steps a to
b); s is the achieved sparsity and L the training loss on the whole
training split. A window is

- **simplification** when s rises by at least %.1f percentage points and L
  rises by at most %.0f%% of L(a) plus %.2f nats: the penalty or pruning
  removes weights while the fit holds;
- **forced pruning** when s rises as much but L rises by more: weights are
  removed at a cost to the fit;
- **suppression** when s changes by less than %.1f points while a
  penalty (λ > 0) or a pruning target above 0 is in force: the penalty
  holds weights back, or the masks keep pruned weights at zero, but it
  removes nothing new;
- **unregularized** when s is flat and nothing is in force;
- **regrowth** when s falls by at least %.1f points.

Consecutive windows with the same label form a phase. Phases are found
for the first seed of each run group.
`, 100*PhaseSparsityStep, 100*PhaseLossRelative, PhaseLossAbsolute,
	100*PhaseSparsityStep, 100*PhaseSparsityStep)

// writeProvenance lists the recipes, hashes and commits behind the
// records.
func writeProvenance(b *bytes.Buffer, groups []*group) {
	seen := map[string]bool{}
	var lines []string
	for _, g := range groups {
		r := g.runs[0][0]
		line := fmt.Sprintf("- recipe `%s`, hash `%s`, commit `%s`", r.Recipe, r.RecipeHash,
			orUnknown(r.Commit))
		if !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	fmt.Fprintf(b, "Generated by `regsched report` from %d run groups.\n\n%s\n\n",
		len(groups), strings.Join(lines, "\n"))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writeSummaryTable writes one row per group with final values as mean ±
// sample standard deviation over seeds.
func writeSummaryTable(b *bytes.Buffer, groups []*group) {
	b.WriteString("| run group | seeds | steps | test accuracy | sparsity | non-zero / all parameters | train loss | wall time (s) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, g := range groups {
		var acc, sp, loss, nz, wall []float64
		last := g.runs[0][len(g.runs[0])-1]
		for _, run := range g.runs {
			r := run[len(run)-1]
			acc = append(acc, r.TestAccuracy)
			sp = append(sp, r.Sparsity)
			loss = append(loss, r.TrainLoss)
			nz = append(nz, float64(r.NonZero))
			wall = append(wall, r.Time)
		}
		am, as := MeanSD(acc)
		sm, ss := MeanSD(sp)
		lm, ls := MeanSD(loss)
		nm, _ := MeanSD(nz)
		wm, _ := MeanSD(wall)
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %.0f / %d | %s | %.1f |\n",
			g.label, len(g.runs), last.Step, spread(am, as, len(g.runs)), spread(sm, ss, len(g.runs)),
			nm, last.Params, spread(lm, ls, len(g.runs)), wm)
	}
}

// writePhaseOutline lists the phases of each group's first seed in one
// line per group, ahead of the detailed sections.
func writePhaseOutline(b *bytes.Buffer, groups []*group) {
	b.WriteString("\nPhases of each group's first seed, by step (rules and plots under " +
		"[Phases](#phases)):\n\n")
	for _, g := range groups {
		var parts []string
		for _, p := range Phases(g.runs[0]) {
			parts = append(parts, fmt.Sprintf("%s %d–%d", p.Label, p.From, p.To))
		}
		if len(parts) == 0 {
			parts = []string{"none (one evaluation only)"}
		}
		fmt.Fprintf(b, "- %s: %s\n", g.label, strings.Join(parts, " → "))
	}
}

// spread formats a mean and, over more than one seed, its sample
// standard deviation.
func spread(mean, sd float64, seeds int) string {
	if seeds < 2 {
		return fmt.Sprintf("%.4f", mean)
	}
	return fmt.Sprintf("%.4f ± %.4f", mean, sd)
}

// writeGroupSection writes the phases and per-run plots of a group's
// first seed.
func writeGroupSection(b *bytes.Buffer, dir string, i int, g *group, png bool) error {
	run := g.runs[0]
	first := run[0]
	fmt.Fprintf(b, "\n### %s, seed %d\n\n", g.label, first.Seed)
	phases := Phases(run)
	b.WriteString("| phase | steps | sparsity | train loss | test accuracy |\n|---|---|---|---|---|\n")
	for _, p := range phases {
		fmt.Fprintf(b, "| %s | %d–%d | %.3f → %.3f | %.4f → %.4f | %.4f → %.4f |\n",
			p.Label, p.From, p.To, p.SparsityFrom, p.SparsityTo, p.LossFrom, p.LossTo,
			p.AccuracyFrom, p.Accuracy)
	}
	b.WriteString("\n")
	for _, p := range phases {
		b.WriteString(phaseSentence(p))
	}
	writeDecisions(b, run)

	overview := fmt.Sprintf("g%d-phases.svg", i+1)
	if err := plotPhases("Phases of "+g.label+fmt.Sprintf(", seed %d", first.Seed), run, phases,
		filepath.Join(dir, overview), png); err != nil {
		return err
	}
	fmt.Fprintf(b, "\n![phases](%s)\n", overview)

	layers := fmt.Sprintf("g%d-layers.svg", i+1)
	if err := plotLayers("Per-layer sparsity (solid) and target (dashed), "+g.label, "sparsity", run,
		func(l *LayerRecord) float64 { return l.Sparsity },
		func(l *LayerRecord) float64 { return l.TargetSparsity },
		filepath.Join(dir, layers), png); err != nil {
		return err
	}
	hist := fmt.Sprintf("g%d-histograms.svg", i+1)
	if err := plotHistograms(run, boundaries(phases), filepath.Join(dir, hist), png); err != nil {
		return err
	}
	grads := fmt.Sprintf("g%d-grad-norms.svg", i+1)
	if err := plotLayers("Per-layer gradient norm, "+g.label, "gradient norm", run,
		func(l *LayerRecord) float64 { return l.GradNorm }, nil,
		filepath.Join(dir, grads), png); err != nil {
		return err
	}
	b.WriteString("\n")
	if names := coincidingLayers(run); names != "" {
		fmt.Fprintf(b, "The sparsity lines of %s overlap because the matrices have the same "+
			"sparsity, to half a percentage point, at every evaluation.\n\n",
			names)
	}
	fmt.Fprintf(b, "![per-layer sparsity](%s)\n\n![weight magnitudes](%s)\n\n![per-layer gradient norms](%s)\n",
		layers, hist, grads)
	return nil
}

// coincidingLayers returns the names of a run's layers, joined by
// commas, when there are several and their sparsities never differ by
// PhaseSparsityStep or more, so their plotted lines overlap. Otherwise
// it returns "".
func coincidingLayers(run []Record) string {
	layers := run[0].Layers
	if len(layers) < 2 {
		return ""
	}
	for _, r := range run {
		for _, l := range r.Layers {
			if math.Abs(l.Sparsity-r.Layers[0].Sparsity) >= PhaseSparsityStep {
				return ""
			}
		}
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ", ")
}

// maxDecisionRows bounds the decision table of a run, because a policy
// may decide at every step.
const maxDecisionRows = 50

// writeDecisions writes a table of the policy decisions of one run (the
// step, what the multiplier scales, the policy, the signal and its value,
// m before and after, and the reason), or nothing when no policy moved
// m.
func writeDecisions(b *bytes.Buffer, run []Record) {
	var all []schedules.Decision
	for i := range run {
		all = append(all, run[i].Decisions...)
	}
	if len(all) == 0 {
		return
	}
	fmt.Fprintf(b, "\nPolicy decisions (%d). A decision made after step t sets m from step "+
		"t+1 on. For a milestones switch, m before and after are the values of the "+
		"outgoing and incoming schedules.\n\n", len(all))
	b.WriteString("| step | scales | policy | signal | value | m before | m after | reason |\n" +
		"|---|---|---|---|---|---|---|---|\n")
	for i, d := range all {
		if i == maxDecisionRows {
			fmt.Fprintf(b, "\nThe other %d decisions are in %s.\n", len(all)-i, MetricsFile)
			break
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %.4g | %.4g | %.4g | %s |\n", d.Step,
			escapeCell(d.Owner), escapeCell(d.Policy), escapeCell(d.Signal), d.Value, d.Old,
			d.New, escapeCell(d.Reason))
	}
}

// escapeCell escapes the pipes of s so that it stays in one Markdown
// table cell.
func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// phaseSentence describes in words what a phase shows.
func phaseSentence(p Phase) string {
	var what string
	switch p.Label {
	case Simplification:
		what = "the penalty or pruning drove simplification: sparsity rose while the training loss stayed flat"
	case ForcedPruning:
		what = "weights were removed at a cost: sparsity rose and the training loss rose with it"
	case Suppression:
		what = "regularization only suppressed growth: it was in force but removed nothing new"
	case Regrowth:
		what = "weights grew back: sparsity fell"
	default:
		what = "training ran without regularization"
	}
	return fmt.Sprintf("- Steps %d–%d (%s): %s (sparsity %.1f%% → %.1f%%, training loss %.4f → %.4f).\n",
		p.From, p.To, p.Label, what, 100*p.SparsityFrom, 100*p.SparsityTo, p.LossFrom, p.LossTo)
}
