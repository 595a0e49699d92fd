package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regsched/regsched/experiments/repro"
)

func TestReproShowPrintsBuiltinRecipe(t *testing.T) {
	r, err := repro.Lookup("lasso-path")
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.RecipeYAML()
	if err != nil {
		t.Fatal(err)
	}
	out, code := execute(t, newReproCmd(), "lasso-path", "--show")
	if code != 0 || out != string(want) {
		t.Errorf("exit %d, output\n%s\nwant the built-in recipe\n%s", code, out, want)
	}
}

func TestReproErrors(t *testing.T) {
	dir := t.TempDir()
	r, err := repro.Lookup("lipschitz")
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.RecipeYAML()
	if err != nil {
		t.Fatal(err)
	}
	typo := writeRecipe(t, dir, "typo.yaml", strings.Replace(string(text), "draws:", "drawz:", 1))
	line := strings.Count(string(text)[:strings.Index(string(text), "draws:")], "\n") + 1
	missing := filepath.Join(dir, "no-data")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{typo}, 2, "typo.yaml:" + strconv.Itoa(line) + `: unknown key "drawz"`},
		{[]string{"lipschitz-bound"}, 2, `unknown reproduction "lipschitz-bound"`},
		{[]string{}, 2, "got 0 arguments"},
		{[]string{"lipschitz", "--seeds", "-1"}, 2, "--seeds (-1) is negative"},
		{[]string{"lipschitz", "--data", missing, "--out", dir}, 2,
			`--data "` + missing + `" is not a folder`},
		{[]string{"lipschitz", "--data", dir, "--out", dir}, 1,
			filepath.Join(dir, "digits.csv.gz") + " not found"},
		{[]string{filepath.Join(dir, "absent.yaml")}, 2, "reading the recipe"},
	}
	for i, c := range cases {
		out, code := execute(t, newReproCmd(), c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("case %d: exit %d, output %q; want exit %d and %q", i, code, out, c.code,
				c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Error("a failed run wrote a report")
	}
}

func TestReproDefaultOut(t *testing.T) {
	// A short schedule comparison on the built-in digits, run in an empty
	// working directory, writes its report to runs/repro/NAME.
	t.Chdir(t.TempDir())
	recipe := writeRecipe(t, ".", "short.yaml", `reproduction: schedule-comparison
seeds: [1]
split: {test_fraction: 0.25, seed: 1}
training: {sizes: [64, 16, 10], learn_rate: 0.01, batch: 32, steps: 20}
final_lambda: 0.3
record_every: 10
schedules:
  - {name: constant, spec: "constant(0.3)"}
`)
	out, code := execute(t, newReproCmd(), recipe)
	dir := filepath.Join("runs", "repro", "schedule-comparison")
	if code != 0 || !strings.HasSuffix(out, "wrote "+dir+"\n") {
		t.Errorf("exit %d, output %q; want exit 0 and a last line %q", code, out, "wrote "+dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Errorf("report: %v", err)
	}
}
