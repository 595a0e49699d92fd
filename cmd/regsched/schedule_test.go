package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/regsched/regsched/schedules"
)

// runScheduleCmd runs a fresh schedule command with args and returns its
// output.
func runScheduleCmd(args ...string) (string, error) {
	cmd := newScheduleCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestScheduleTableStaircase checks the default table of a staircase: it
// runs to the end plus 10% and lists every change point with its value.
func TestScheduleTableStaircase(t *testing.T) {
	out, err := runScheduleCmd("every(100, poly(0, 0.9, 0, 1050))")
	if err != nil {
		t.Fatal(err)
	}
	// Values from 0.9 − 0.9·(1 − t/1050)³ at t = 100 and t = 1000.
	for _, row := range []string{"0  0", "100  0.233431", "1000  0.899903", "1050  0.9",
		"1155  0.9"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Join(strings.Fields(line), "  ") == row {
				found = true
			}
		}
		if !found {
			t.Errorf("table lacks the row %q:\n%s", row, out)
		}
	}
}

func TestScheduleAtSteps(t *testing.T) {
	out, err := runScheduleCmd("cyclic(0, 1, 100)", "--at", "0, 25,50")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"step  value", "0  0", "25  0.5", "50  1"}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		if got := strings.Join(strings.Fields(line), "  "); got != want[i] {
			t.Errorf("line %d = %q, want %q", i, got, want[i])
		}
	}
}

// TestSchedulePlotFormats checks that --plot writes an SVG and a PNG, and
// that the plotted schedule reaches 0.9 exactly at step 1050.
// TestSchedulePlotStaircase checks the drawn line itself.
func TestSchedulePlotFormats(t *testing.T) {
	dir := t.TempDir()
	for i, c := range []struct{ name, magic string }{
		{"x.svg", "<svg"},
		{"x.png", "\x89PNG"},
	} {
		path := filepath.Join(dir, c.name)
		_, err := runScheduleCmd("every(100, poly(0, 0.9, 0, 1050))", "--plot", path)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !strings.Contains(string(data[:min(len(data), 200)]), c.magic) {
			t.Errorf("%d: %s does not start like a %s file", i, c.name, c.magic)
		}
	}
	s := schedules.MustParse("every(100, poly(0, 0.9, 0, 1050))")
	if got := s.At(1049); got >= 0.9 {
		t.Errorf("At(1049) = %v, want below 0.9", got)
	}
	if got := s.At(1050); got != 0.9 {
		t.Errorf("At(1050) = %v, want 0.9", got)
	}
}

// TestScheduleUsageErrors checks that bad input is a usage error (exit
// status 2) with a one-line message, and that no plot file is written.
func TestScheduleUsageErrors(t *testing.T) {
	dir := t.TempDir()
	plot := filepath.Join(dir, "out.svg")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"poly(0, 0.9, 100, 50)", "--plot", plot}, "end (50) is before start (100)"},
		{[]string{"linear(0, 1, 0, 10)", "--steps", "abc", "--plot", plot}, "--steps"},
		{[]string{"linear(0, 1, 0, 10)", "--steps", "0", "--plot", plot}, "--steps (0)"},
		{[]string{"linear(0, 1, 0, 10)", "--at", "1,-2", "--plot", plot}, `step "-2"`},
		{[]string{"linear(0, 1, 0, 10)", "--plot", filepath.Join(dir, "out.txt")},
			`extension ".txt"`},
		{[]string{"linear(0, 1, 0, 10)", "--steps", "2000000", "--plot", plot},
			"--steps (2000000) is above 1000000, the maximum number of steps a plot draws"},
		{[]string{"linear(0, 1, 0, 10)", "--bogus"}, "unknown flag: --bogus"},
		{[]string{}, "expected one SPEC argument, got 0"},
		{[]string{"linear(0, 1, 0, 10)", "constant(1)"}, "expected one SPEC argument, got 2"},
	}
	for i, c := range cases {
		_, err := runScheduleCmd(c.args...)
		if err == nil {
			t.Errorf("%d: %v: no error", i, c.args)
			continue
		}
		if code := exitCode(err); code != 2 {
			t.Errorf("%d: exit code %d, want 2 (%v)", i, code, err)
		}
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%d: %T is not a usageError", i, err)
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%d: error %q, want one line containing %q", i, msg, c.want)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 0 {
			t.Fatalf("%d: files written on error: %v", i, entries)
		}
	}
}

// TestScheduleLongStaircase checks that a staircase with very many change
// points prints only the evenly spaced steps.
func TestScheduleLongStaircase(t *testing.T) {
	out, err := runScheduleCmd("every(1, linear(0, 1, 0, 100000))")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out, "\n"); lines != 12 {
		t.Errorf("got %d lines, want a header and 11 rows:\n%s", lines, out)
	}
}

func TestScheduleAdaptiveNote(t *testing.T) {
	out, err := runScheduleCmd("guard(linear(0, 1, 0, 100), signal=val_acc)", "--at", "50")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "# adaptive multiplier") {
		t.Errorf("output lacks the adaptive note:\n%s", out)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "50 0.5") {
		t.Errorf("output lacks the row 50 0.5 (m = 1):\n%s", out)
	}
}

// TestScheduleDefaultSteps checks the default last step.
func TestScheduleDefaultSteps(t *testing.T) {
	cases := []struct {
		spec string
		want int
	}{
		{"linear(0, 1, 0, 1000)", 1100},
		{"constant(1)", 1000},
		{"cyclic(0, 1, 50)", 1000},
	}
	for i, c := range cases {
		s := schedules.MustParse(c.spec)
		got, err := lastStep(s, scheduleOptions{})
		if err != nil || got != c.want {
			t.Errorf("%d: lastStep(%s) = %d, %v, want %d", i, c.spec, got, err, c.want)
		}
	}
}

// TestSchedulePlotStaircase reads the SVG path that --plot draws for a
// staircase and checks the drawn line. The line must have one point per
// step from 0 to 1155, rise exactly at the change points, and stay at 0.9
// from step 1050 on, read against the y-axis tick labels.
func TestSchedulePlotStaircase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.svg")
	if _, err := runScheduleCmd("every(100, poly(0, 0.9, 0, 1050))", "--plot", path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)

	var line [][2]float64
	for _, d := range regexp.MustCompile(`<path d="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		var points [][2]float64
		for _, p := range regexp.MustCompile(`[ML](-?[0-9.]+),(-?[0-9.]+)`).
			FindAllStringSubmatch(d[1], -1) {
			x, _ := strconv.ParseFloat(p[1], 64)
			y, _ := strconv.ParseFloat(p[2], 64)
			points = append(points, [2]float64{x, y})
		}
		if len(points) > len(line) {
			line = points
		}
	}
	if len(line) != 1156 {
		t.Fatalf("longest path has %d points, want 1156 (steps 0 to 1155)", len(line))
	}
	dx := (line[1155][0] - line[0][0]) / 1155
	var rises []int
	for i := 1; i < len(line); i++ {
		if math.Abs(line[i][0]-line[0][0]-float64(i)*dx) > 0.01 {
			t.Fatalf("point %d at x = %v, want step %d", i, line[i][0], i)
		}
		if line[i][1] != line[i-1][1] {
			rises = append(rises, i)
		}
	}
	want := []int{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1050}
	if !slices.Equal(rises, want) {
		t.Errorf("the line changes at steps %v, want %v", rises, want)
	}

	// The page's y axis points up, so a label's y is minus its height.
	ticks := map[string]float64{}
	for _, m := range regexp.MustCompile(`y="(-?[0-9.]+)"[^>]*>(0\.[048])</text>`).
		FindAllStringSubmatch(svg, -1) {
		ticks[m[2]], _ = strconv.ParseFloat(m[1], 64)
	}
	if len(ticks) != 3 {
		t.Fatalf("y-axis labels %v, want 0.0, 0.4 and 0.8", ticks)
	}
	perUnit := (ticks["0.0"] - ticks["0.8"]) / 0.8
	value := func(i int) float64 { return (line[i][1] - line[0][1]) / perUnit }
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0}, {1049, 0.899903}, {1050, 0.9}, {1155, 0.9}} {
		if got := value(c.step); math.Abs(got-c.want) > 0.002 {
			t.Errorf("plotted value at step %d = %.4f, want %.4f", c.step, got, c.want)
		}
	}
}

func TestSchedulePlotUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "plot.svg")
	out, err := runScheduleCmd("linear(0, 1, 0, 10)", "--plot", path)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("error %v, want a usage error", err)
	}
	if !strings.Contains(err.Error(), "--plot") || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("error %q does not name --plot", err)
	}
	if strings.Contains(out, "step  value") {
		t.Errorf("the table was printed before the error:\n%s", out)
	}
}
