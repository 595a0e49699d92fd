package experiments

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/regsched/regsched/schedules"
)

// writeTestReport writes the report of recs into a temporary folder and
// returns the folder and the Markdown text.
func writeTestReport(t *testing.T, recs []Record, opts ReportOptions) (dir, md string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "report")
	if err := WriteReport(dir, recs, opts); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(data)
}

func TestPhaseRules(t *testing.T) {
	rec := func(step int, sparsity, loss, target, lambda float64) Record {
		r := Record{Step: step, Sparsity: sparsity, TrainLoss: loss, TargetSparsity: target}
		if lambda >= 0 {
			r.Terms = []TermRecord{{Name: "l1", Lambda: lambda}}
		}
		return r
	}
	// Each case is one window a → b; the expected label follows the rules
	// in the Phase documentation.
	cases := []struct {
		a, b Record
		want string
	}{
		{rec(0, 0, 1, 0, -1), rec(1, 0, 0.5, 0, -1), Unregularized},
		{rec(0, 0, 1, 0, 0), rec(1, 0.004, 0.5, 0, 0), Unregularized},
		{rec(0, 0, 1, 0, 1e-4), rec(1, 0, 0.9, 0, 1e-4), Suppression},
		{rec(0, 0.9, 1, 0.9, -1), rec(1, 0.9, 0.9, 0.9, -1), Suppression},
		// Loss may rise by 5% of L(a) plus 0.01: 1 → 1.0599 is flat, 1.0601 is not.
		{rec(0, 0, 1, 0.1, -1), rec(1, 0.1, 1.0599, 0.1, -1), Simplification},
		{rec(0, 0, 1, 0.1, -1), rec(1, 0.1, 1.0601, 0.1, -1), ForcedPruning},
		{rec(0, 0, 1, 0.1, -1), rec(1, 0.005, 0.2, 0.1, -1), Simplification},
		{rec(0, 0.5, 1, 0.5, -1), rec(1, 0.4, 1, 0.4, -1), Regrowth},
	}
	for i, c := range cases {
		got := Phases([]Record{c.a, c.b})
		if len(got) != 1 || got[0].Label != c.want {
			t.Errorf("case %d: phases %+v, want one %s", i, got, c.want)
		}
	}

	run := []Record{rec(0, 0, 2, 0, -1), rec(10, 0, 1, 0, -1), rec(20, 0.3, 0.9, 0.3, -1),
		rec(30, 0.6, 0.9, 0.6, -1), rec(40, 0.6, 0.8, 0.6, -1)}
	phases := Phases(run)
	var labels []string
	for _, p := range phases {
		labels = append(labels, p.Label)
	}
	if want := []string{Unregularized, Simplification, Suppression}; !reflect.DeepEqual(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if got, want := boundaries(phases), []int{0, 10, 30, 40}; !reflect.DeepEqual(got, want) {
		t.Errorf("boundaries %v, want %v", got, want)
	}
}

func TestReportMergesShards(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(src, []byte(tinyRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	axes := []Axis{{"solver.lr", []string{"0.01", "0.003"}}, {"pruning.sparsity", []string{"0.5", "0.7"}}}
	points, err := PlanSweep(src, []byte(tinyRecipe), axes)
	if err != nil {
		t.Fatal(err)
	}
	sweep := filepath.Join(t.TempDir(), "sweep")
	for _, shard := range []Shard{{0, 2}, {1, 2}} {
		for _, p := range points {
			if !shard.Owns(p.Index) {
				continue
			}
			p.Recipe.Baseline = false
			p.Recipe.Steps = 10
			_, err := Run(context.Background(), p.Recipe, PointDir(sweep, p.Index),
				RunOptions{Point: p.Point.Map()})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	recs, err := LoadRecords([]string{sweep})
	if err != nil {
		t.Fatal(err)
	}
	groups := groupRecords(recs)
	if len(groups) != 4 {
		t.Fatalf("%d run groups, want 4 (one per grid point)", len(groups))
	}
	points0 := map[string]bool{}
	for _, g := range groups {
		points0[g.label] = true
		if len(g.runs) != 1 || len(g.runs[0]) != 2 {
			t.Errorf("group %s: %d runs, want 1 of 2 records", g.label, len(g.runs))
		}
	}
	if !points0["sparse pruning.sparsity=0.7 solver.lr=0.003"] {
		t.Errorf("groups %v lack point 3", points0)
	}

	out, md := writeTestReport(t, recs, ReportOptions{})
	for _, want := range []string{"from 4 run groups", "| sparse pruning.sparsity=0.5 solver.lr=0.01 | 1 | 10 |",
		"![sparsity and accuracy](sparsity-accuracy.svg)", "### sparse pruning.sparsity=0.7 solver.lr=0.003, seed 1",
		"**simplification**", "- sparse pruning.sparsity=0.5 solver.lr=0.01: simplification 0–10\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, f := range []string{"sparsity-accuracy.svg", "accuracy-vs-sparsity.svg", "grad-norms.svg",
		"mask-flips.svg", "g4-phases.svg", "g4-layers.svg", "g4-histograms.svg", "g4-grad-norms.svg"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !strings.Contains(string(data), "<svg") {
			t.Errorf("%s is missing or not SVG: %v", f, err)
		}
	}

	// Merging the same sweep twice keeps one copy of each record.
	twice, err := LoadRecords([]string{sweep, sweep})
	if err != nil {
		t.Fatal(err)
	}
	if g := groupRecords(twice); len(g) != 4 || len(g[0].runs) != 1 || len(g[0].runs[0]) != 2 {
		t.Errorf("merging twice gave %d groups", len(g))
	}
}

func TestLoadRecordsErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := LoadRecords([]string{empty}); err == nil ||
		!strings.Contains(err.Error(), "no metrics.jsonl found") {
		t.Errorf("empty folder: error %v", err)
	}
	if _, err := LoadRecords([]string{filepath.Join(empty, "missing")}); err == nil {
		t.Error("missing path returned no error")
	}
}

func TestMeanSD(t *testing.T) {
	// Expected values by hand: the sample variance of 1, 2, 3, 4 is
	// (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3.
	cases := []struct {
		xs       []float64
		mean, sd float64
	}{
		{[]float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0 / 3)},
		{[]float64{0.9, 0.9}, 0.9, 0},
		{[]float64{7}, 7, 0},
	}
	for i, c := range cases {
		mean, sd := MeanSD(c.xs)
		if math.Abs(mean-c.mean) > 1e-12 {
			t.Errorf("case %d: mean %v, want %v", i, mean, c.mean)
		}
		if math.Abs(sd-c.sd) > 1e-12 {
			t.Errorf("case %d: standard deviation %v, want %v", i, sd, c.sd)
		}
	}
	if mean, sd := MeanSD(nil); !math.IsNaN(mean) || !math.IsNaN(sd) {
		t.Errorf("MeanSD(nil) = %v, %v; want NaN, NaN", mean, sd)
	}
}

// TestWriteDecisions checks the decision table of a run: one row per
// decision in step order, pipes escaped, and rows past maxDecisionRows
// counted instead of listed.
func TestWriteDecisions(t *testing.T) {
	guard := schedules.Decision{Step: 9, Policy: "guard", Signal: "recall/0", Value: 0.61,
		Old: 1, New: 0.5, Reason: "backed off: recall/0 0.61 is worse than its best 0.8",
		Owner: "l1_w1"}
	track := schedules.Decision{Step: 19, Policy: "track", Signal: "a|b", Value: 0.25,
		Old: 0.5, New: 0.75, Reason: "a|b 0.25 is below target 0.5", Owner: "pruning(w1 w2)"}
	run := []Record{{Step: 0}, {Step: 10, Decisions: []schedules.Decision{guard}},
		{Step: 20, Decisions: []schedules.Decision{track}}}
	var b bytes.Buffer
	writeDecisions(&b, run)
	for _, want := range []string{"Policy decisions (2).",
		"| 9 | l1_w1 | guard | recall/0 | 0.61 | 1 | 0.5 | backed off: recall/0 0.61 is " +
			"worse than its best 0.8 |\n| 19 | pruning(w1 w2) | track | a\\|b | 0.25 | 0.5 | " +
			"0.75 | a\\|b 0.25 is below target 0.5 |\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}

	b.Reset()
	writeDecisions(&b, run[:1])
	if b.Len() != 0 {
		t.Errorf("run without decisions wrote %q, want nothing", b.String())
	}

	many := make([]schedules.Decision, maxDecisionRows+7)
	b.Reset()
	writeDecisions(&b, []Record{{Decisions: many}})
	if rows := strings.Count(b.String(), "\n| 0 |  |"); rows != maxDecisionRows {
		t.Errorf("%d rows, want %d", rows, maxDecisionRows)
	}
	if !strings.Contains(b.String(), "The other 7 decisions are in metrics.jsonl.") {
		t.Errorf("table lacks the count of rows left out:\n%s", b.String())
	}
}

func TestReportPenaltyRun(t *testing.T) {
	src := strings.Replace(tinyRecipe, "baseline: true", `baseline: false
penalties:
  - term: l1
    mode: proximal
    schedule: "track(constant(0.01), sparsity, linear(0, 0.5, 0, 20), kp=2)"`, 1)
	src = strings.Replace(src, "pruning:\n  sparsity: 0.5\n  start: 0\n  end: 10\n  every: 5\n", "", 1)
	r, err := ParseRecipe("penalty.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Run(context.Background(), r, dir, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := LoadRecords([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	out, md := writeTestReport(t, recs, ReportOptions{PNG: true})
	for _, want := range []string{"![lambda](lambda.svg)", "![multiplier](multiplier.svg)",
		"Policy decisions (40).", "| track | sparsity |", "![phases](g1-phases.svg)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	files := []struct{ name, want string }{
		{"lambda.svg", "regularized l1/w0"},
		{"multiplier.svg", "policy decision at its new m (40)"},
		{"g1-phases.svg", "λ l1/w1"},
		{"g1-phases.png", "\x89PNG"},
		{"lambda.png", "\x89PNG"},
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(out, f.name))
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if !strings.Contains(string(data), f.want) {
			t.Errorf("%s lacks %q", f.name, f.want)
		}
	}
}

func TestOrdinalSuffix(t *testing.T) {
	cases := []struct {
		n    int
		want string
	}{{1, "st"}, {2, "nd"}, {3, "rd"}, {4, "th"}, {11, "th"}, {12, "th"}, {13, "th"},
		{21, "st"}, {50, "th"}, {102, "nd"}, {111, "th"}}
	for i, c := range cases {
		if got := ordinalSuffix(c.n); got != c.want {
			t.Errorf("case %d: ordinalSuffix(%d) = %q, want %q", i, c.n, got, c.want)
		}
	}
}

func TestGroupLabels(t *testing.T) {
	rec := func(recipe, hash, variant string, point map[string]string) Record {
		return Record{Recipe: recipe, RecipeHash: hash, Variant: variant, Seed: 1, Point: point}
	}
	cases := []struct {
		records []Record
		want    []string
	}{
		{[]Record{rec("a", "h1", "dense", nil), rec("a", "h1", "sparse", nil)},
			[]string{"dense", "sparse"}},
		// A grid axis with one value is left out of the labels.
		{[]Record{
			rec("s-p0", "h1", "sparse", map[string]string{"steps": "300", "solver.lr": "0.01"}),
			rec("s-p1", "h2", "sparse", map[string]string{"steps": "300", "solver.lr": "0.001"})},
			[]string{"sparse solver.lr=0.01", "sparse solver.lr=0.001"}},
		{[]Record{rec("a", "h1", "dense", nil), rec("a", "h1", "sparse", nil),
			rec("b", "h2", "sparse", nil)},
			[]string{"a dense", "a sparse", "b sparse"}},
		// The same recipe name with two hashes: the hash separates them.
		{[]Record{rec("a", "h1", "sparse", nil), rec("a", "h2", "sparse", nil)},
			[]string{"sparse (a, hash h1)", "sparse (a, hash h2)"}},
	}
	for i, c := range cases {
		var got []string
		for _, g := range groupRecords(c.records) {
			got = append(got, g.label)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("case %d: labels %q, want %q", i, got, c.want)
		}
	}
}
