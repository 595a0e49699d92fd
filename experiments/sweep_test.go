package experiments

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseAxis(t *testing.T) {
	cases := []struct {
		in   string
		want Axis
	}{
		{"solver.lr=0.1,0.01", Axis{"solver.lr", []string{"0.1", "0.01"}}},
		{" pruning.sparsity = 0.5 ", Axis{"pruning.sparsity", []string{"0.5"}}},
		{"model.hidden=[64,32],[128]", Axis{"model.hidden", []string{"[64,32]", "[128]"}}},
		{"penalties.0.schedule=linear(0,1e-4,0,500),constant(0)",
			Axis{"penalties.0.schedule", []string{"linear(0,1e-4,0,500)", "constant(0)"}}},
	}
	for i, c := range cases {
		got, err := ParseAxis(c.in)
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("case %d: ParseAxis(%q) = %+v, want %+v", i, c.in, got, c.want)
		}
	}
	for i, bad := range []string{"solver.lr", "=1,2", "solver.lr=1,,2", "solver.lr="} {
		if _, err := ParseAxis(bad); err == nil {
			t.Errorf("bad case %d: ParseAxis(%q) returned no error", i, bad)
		}
	}
}

func TestExpandOrder(t *testing.T) {
	points, err := Expand([]Axis{{"a", []string{"1", "2"}}, {"b", []string{"x", "y", "z"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range points {
		got = append(got, p.String())
	}
	want := []string{"a=1 b=x", "a=1 b=y", "a=1 b=z", "a=2 b=x", "a=2 b=y", "a=2 b=z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expand = %v, want %v", got, want)
	}
	if _, err := Expand([]Axis{{"a", []string{"1"}}, {"a", []string{"2"}}}); err == nil {
		t.Error("Expand with a repeated key returned no error")
	}
	if p, _ := Expand(nil); len(p) != 1 || len(p[0]) != 0 {
		t.Errorf("Expand(nil) = %v, want one empty point", p)
	}
}

// coverage runs every shard's Owns over n points and counts how often
// each point is taken.
func coverage(shards []Shard, n int) []int {
	count := make([]int, n)
	for _, s := range shards {
		for k := 0; k < n; k++ {
			if s.Owns(k) {
				count[k]++
			}
		}
	}
	return count
}

func TestShardsCoverEachPointOnce(t *testing.T) {
	for n := 1; n <= 5; n++ {
		for points := 0; points <= 11; points++ {
			var shards []Shard
			for i := 0; i < n; i++ {
				s, err := ParseShard(strings.Repeat(" ", i%2) + string(rune('0'+i)) + "/" + string(rune('0'+n)))
				if err != nil {
					t.Fatal(err)
				}
				shards = append(shards, s)
			}
			for k, c := range coverage(shards, points) {
				if c != 1 {
					t.Errorf("%d shards, %d points: point %d taken %d times", n, points, k, c)
				}
			}
		}
	}
}

func TestShardFromSlurm(t *testing.T) {
	// Four grid points over a Slurm array of two tasks, --array=0-1.
	var shards []Shard
	for _, id := range []string{"0", "1"} {
		t.Setenv("SLURM_ARRAY_TASK_ID", id)
		t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
		s, ok, err := ShardFromEnv(os.Getenv, 0)
		if err != nil || !ok {
			t.Fatalf("task %s: ok %v, error %v", id, ok, err)
		}
		shards = append(shards, s)
	}
	if got := coverage(shards, 4); !reflect.DeepEqual(got, []int{1, 1, 1, 1}) {
		t.Errorf("coverage %v, want each of 4 points once", got)
	}
	if shards[0] != (Shard{0, 2}) || shards[1] != (Shard{1, 2}) {
		t.Errorf("shards %v, want 0/2 and 1/2", shards)
	}

	// --array=1-2 counts from SLURM_ARRAY_TASK_MIN.
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	if s, _, err := ShardFromEnv(os.Getenv, 0); err != nil || s != (Shard{1, 2}) {
		t.Errorf("task 2 of 1-2: shard %v, error %v; want 1/2", s, err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "3")
	if _, _, err := ShardFromEnv(os.Getenv, 0); err == nil {
		t.Error("task 3 of an array of 2 from 1 returned no error")
	}

	// --array=1-7:2 is tasks 1, 3, 5 and 7: shards 0 … 3 of 4.
	t.Setenv("SLURM_ARRAY_TASK_STEP", "2")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "4")
	for id, want := range map[string]Shard{"1": {0, 4}, "3": {1, 4}, "7": {3, 4}} {
		t.Setenv("SLURM_ARRAY_TASK_ID", id)
		if s, _, err := ShardFromEnv(os.Getenv, 0); err != nil || s != want {
			t.Errorf("task %s of 1-7:2: shard %v, error %v; want %v", id, s, err, want)
		}
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "4")
	if _, _, err := ShardFromEnv(os.Getenv, 0); err == nil ||
		!strings.Contains(err.Error(), "not SLURM_ARRAY_TASK_MIN plus a multiple") {
		t.Errorf("task 4 of 1-7:2: error %v", err)
	}
	t.Setenv("SLURM_ARRAY_TASK_STEP", "0")
	if _, _, err := ShardFromEnv(os.Getenv, 0); err == nil {
		t.Error("SLURM_ARRAY_TASK_STEP 0 returned no error")
	}
}

func TestShardFromIndexedJob(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "3")
	s, ok, err := ShardFromEnv(os.Getenv, 4)
	if err != nil || !ok || s != (Shard{3, 4}) {
		t.Errorf("index 3 of 4: shard %v, ok %v, error %v", s, ok, err)
	}
	if _, _, err := ShardFromEnv(os.Getenv, 0); err == nil ||
		!strings.Contains(err.Error(), "shard count is missing") {
		t.Errorf("missing count: error %v", err)
	}
	if _, _, err := ShardFromEnv(os.Getenv, 3); err == nil {
		t.Error("index 3 of 3 returned no error")
	}
	t.Setenv("JOB_COMPLETION_INDEX", "")
	if _, ok, err := ShardFromEnv(os.Getenv, 4); ok || err != nil {
		t.Errorf("no job variables: ok %v, error %v; want false and nil", ok, err)
	}
}

func TestParseShardErrors(t *testing.T) {
	for i, bad := range []string{"1", "2/2", "-1/2", "0/0", "a/b", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("case %d: ParseShard(%q) returned no error", i, bad)
		}
	}
}

func TestPlanSweep(t *testing.T) {
	axes := []Axis{{"solver.lr", []string{"0.01", "0.001"}}, {"pruning.sparsity", []string{"0.5", "0.8"}}}
	points, err := PlanSweep("tiny.yaml", []byte(tinyRecipe), axes)
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 4 {
		t.Fatalf("%d points, want 4", len(points))
	}
	r := points[3].Recipe
	if r.Solver.LR != 0.001 || r.Pruning.Sparsity != 0.8 || r.Name != "tiny-p3" {
		t.Errorf("point 3: lr %v, sparsity %v, name %s; want 0.001, 0.8, tiny-p3",
			r.Solver.LR, r.Pruning.Sparsity, r.Name)
	}
	// A key whose section is missing is added; a list item is replaced.
	added, err := ApplyPoint("tiny.yaml", []byte(tinyRecipe), Point{{"solver.clip", "5"},
		{"model.hidden.0", "8"}})
	if err != nil {
		t.Fatal(err)
	}
	if added.Solver.Clip != 5 || added.Model.Hidden[0] != 8 {
		t.Errorf("clip %v, hidden %v; want 5 and [8]", added.Solver.Clip, added.Model.Hidden)
	}
	bad := []struct {
		axis Axis
		want string
	}{
		{Axis{"solver.lrr", []string{"1"}}, `unknown key "lrr" in solver`},
		{Axis{"pruning.sparsity", []string{"1.5"}}, "pruning.sparsity (1.5) is outside [0, 1)"},
		{Axis{"model.hidden.3", []string{"8"}}, "list index \"3\" is outside [0, 1)"},
		{Axis{"steps.x", []string{"8"}}, `grid key steps.x: cannot set "x": its parent is a scalar, not a mapping or a list`},
	}
	for i, c := range bad {
		_, err := PlanSweep("tiny.yaml", []byte(tinyRecipe), []Axis{c.axis})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, c.want)
		}
	}
}
