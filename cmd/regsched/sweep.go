package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pkg/errors"
	"github.com/spf13/cobra"

	"github.com/regsched/regsched/experiments"
)

func init() { rootCmd.AddCommand(newSweepCmd()) }

func newSweepCmd() *cobra.Command {
	var (
		grid       []string
		shardFlag  string
		shardCount int
		out, name  string
		resume     sweepResume
	)
	cmd := &cobra.Command{
		Use:   "sweep RECIPE.yaml --grid key=v1,v2 ...",
		Short: "Run a grid of recipe variations, or one shard of it",
		Long: `Sweep expands the grid over the recipe (keys are recipe paths such as
solver.lr, pruning.sparsity or penalties.0.schedule) and runs the points
of one shard into OUT/NAME/point-KKK (point-000, point-001, …), each a
run folder.

Point k belongs to shard k mod n, so each point belongs to exactly one of
shards 0 … n-1. The shard comes from --shard i/n. Without it, the shard
comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm array
job given as a range such as --array=0-3 or 1-7:2, counted from
SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP), or from
JOB_COMPLETION_INDEX with the count in --shard-count (a Kubernetes
Indexed Job). Use --shard for a Slurm array given as a list. With none of
these, every point runs. Both job kinds at once are an error. A point
whose folder already contains summary.json of the same recipe (the same
recipe hash) is skipped, so a failed shard can be rerun. A folder that
contains another recipe, because the recipe or the grid changed, is an
error. A point whose run failed (failed.txt in its folder) starts over.
A point folder without summary.json belongs to a point that stopped
part-way: --resume continues it, from its checkpoints when the sweep ran
with --checkpoint and from step 0 otherwise. SIGINT (Ctrl-C) or SIGTERM
stops the sweep at the next training step. Merge the shards with
'regsched report OUT/NAME'.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			source, err := os.ReadFile(args[0])
			if err != nil {
				return usageError{err}
			}
			var axes []experiments.Axis
			for _, g := range grid {
				a, err := experiments.ParseAxis(g)
				if err != nil {
					return usageError{errors.Wrap(err, "--grid")}
				}
				axes = append(axes, a)
			}
			points, err := experiments.PlanSweep(args[0], source, axes)
			if err != nil {
				return usageError{err}
			}
			if every := points[0].Recipe.EvalEvery; resume.checkpoint < 0 ||
				resume.checkpoint%every != 0 {
				return usageError{errors.Errorf("--checkpoint (%d) must be 0 (never) or a "+
					"positive multiple of the recipe's eval_every (%d)", resume.checkpoint, every)}
			}
			shard, err := chooseShard(cmd, shardFlag, shardCount)
			if err != nil {
				return usageError{err}
			}
			if err := checkOutFolder(out); err != nil {
				return usageError{err}
			}
			if err := points[0].Recipe.CheckDataPath(); err != nil {
				return usageError{err}
			}
			if name == "" {
				name = points[0].Recipe.Name[:len(points[0].Recipe.Name)-len("-p0")]
			}
			return runSweep(cmd, points, shard, filepath.Join(out, name), resume)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&grid, "grid", nil, "grid axis key=v1,v2,… (repeat for more axes)")
	fl.StringVar(&shardFlag, "shard", "", "run shard i of n, written i/n (0 ≤ i < n)")
	fl.IntVar(&shardCount, "shard-count", 0,
		"number of shards when the index comes from JOB_COMPLETION_INDEX")
	fl.StringVar(&out, "out", "runs", "folder that receives the sweep folder")
	fl.StringVar(&name, "name", "", "name of the sweep folder (default: the recipe's name)")
	fl.IntVar(&resume.checkpoint, "checkpoint", 0,
		"write each run's weights and solver state every N steps, a multiple of the "+
			"recipe's eval_every, to the point folder's checkpoints (0: never)")
	fl.BoolVar(&resume.resume, "resume", false,
		"continue point folders that have no summary.json instead of stopping at them")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

// chooseShard reads --shard, else the cluster environment, else runs
// every point. Settings that contradict each other are errors: a
// negative --shard-count, --shard-count without JOB_COMPLETION_INDEX or
// --shard, an empty JOB_COMPLETION_INDEX, and both a Slurm array task
// and an Indexed Job index.
func chooseShard(cmd *cobra.Command, flag string, count int) (experiments.Shard, error) {
	if count < 0 {
		return experiments.Shard{}, errors.Errorf("--shard-count (%d) must be positive", count)
	}
	if cmd.Flags().Changed("shard") {
		s, err := experiments.ParseShard(flag)
		return s, errors.Wrap(err, "--shard")
	}
	id, indexed := os.LookupEnv("JOB_COMPLETION_INDEX")
	slurm := os.Getenv("SLURM_ARRAY_TASK_ID") != ""
	switch {
	case indexed && slurm:
		return experiments.Shard{}, errors.New("both SLURM_ARRAY_TASK_ID and " +
			"JOB_COMPLETION_INDEX are set, so the shard is ambiguous: unset one or pass --shard")
	case indexed && strings.TrimSpace(id) == "":
		return experiments.Shard{}, errors.New("JOB_COMPLETION_INDEX is set but empty: " +
			"unset it or pass --shard")
	case indexed && count < 1:
		return experiments.Shard{}, errors.Errorf("JOB_COMPLETION_INDEX is set (%s) but "+
			"--shard-count (%d) is not: pass the Indexed Job's completions as --shard-count",
			id, count)
	case !indexed && cmd.Flags().Changed("shard-count"):
		return experiments.Shard{}, errors.New("--shard-count needs JOB_COMPLETION_INDEX in " +
			"the environment (a Kubernetes Indexed Job), so outside one pass --shard i/n")
	}
	s, ok, err := experiments.ShardFromEnv(os.Getenv, count)
	if err != nil || ok {
		return s, err
	}
	return experiments.Shard{Index: 0, Count: 1}, nil
}

// sweepResume is the checkpoint settings of a sweep.
type sweepResume struct {
	checkpoint int  // steps between checkpoints, 0 for none
	resume     bool // continue unfinished point folders
}

func runSweep(cmd *cobra.Command, points []experiments.SweepPoint, shard experiments.Shard,
	dir string, opts sweepResume) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := cmd.OutOrStdout()
	var mine []experiments.SweepPoint
	for _, p := range points {
		if shard.Owns(p.Index) {
			mine = append(mine, p)
		}
	}
	fmt.Fprintf(out, "sweep %s: %s, shard %s runs %d\n", dir,
		plural(len(points), "point", "points"), shard, len(mine))
	for _, p := range mine {
		pointDir := experiments.PointDir(dir, p.Index)
		state, err := experiments.InspectRunFolder(p.Recipe, pointDir)
		if err != nil {
			return errors.Wrapf(err, "point %d", p.Index)
		}
		if state == experiments.FolderDone {
			fmt.Fprintf(out, "point %d (%s): done before, skipped\n", p.Index, p.Point)
			continue
		}
		if state == experiments.FolderFailed {
			fmt.Fprintf(out, "point %d (%s): failed before, started over\n", p.Index, p.Point)
		}
		unfinished := state == experiments.FolderPartial
		if unfinished && !opts.resume {
			return errors.Errorf("point %d: folder %s exists without %s, so an earlier sweep "+
				"stopped inside this point. Run the same command with --resume to continue it, "+
				"or delete the folder to run the point again", p.Index, pointDir,
				experiments.SummaryFile)
		}
		fmt.Fprintf(out, "point %d (%s)\n", p.Index, p.Point)
		progress := newProgress(cmd.ErrOrStderr(), out, p.Recipe, pointDir, false)
		res, err := experiments.Run(ctx, p.Recipe, pointDir, experiments.RunOptions{
			Progress:        progress.event,
			Point:           p.Point.Map(),
			CheckpointEvery: opts.checkpoint,
			Resume:          unfinished,
			Warn: func(msg string) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", msg)
			},
		})
		progress.finish()
		if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return errors.Errorf("sweep interrupted at step %d of %s in point %d. Run the same "+
				"command with --resume to continue", progress.step, progress.current, p.Index)
		}
		if err != nil {
			return errors.Wrapf(err, "point %d", p.Index)
		}
		if err := printSummary(out, res); err != nil {
			return err
		}
	}
	return nil
}
