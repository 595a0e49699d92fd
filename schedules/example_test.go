package schedules_test

import (
	"fmt"

	"github.com/regsched/regsched/schedules"
)

func ExampleParse() {
	s, err := schedules.Parse("every(100, poly(0, 0.9, 0, 1050))")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, step := range []int{0, 99, 100, 1049, 1050} {
		fmt.Printf("%4d %.4f\n", step, s.At(step))
	}
	fmt.Println(s)

	_, err = schedules.Parse("poly(0, 0.9, 100, 50)")
	fmt.Println(err)
	// Output:
	//    0 0.0000
	//   99 0.0000
	//  100 0.2334
	// 1049 0.8999
	// 1050 0.9000
	// every(100, poly(0, 0.9, 0, 1050))
	// schedules: poly: end (50) is before start (100)
}

func ExamplePoly() {
	// The cubic gradual pruning schedule of Zhu and Gupta (2017): from 0%
	// to 80% sparsity over steps 100 to 1100.
	s := schedules.Poly{From: 0, To: 0.8, Start: 100, End: 1100, Power: 3}
	for _, step := range []int{0, 100, 350, 600, 1100, 2000} {
		fmt.Printf("%4d %.4f\n", step, s.At(step))
	}
	// Output:
	//    0 0.0000
	//  100 0.0000
	//  350 0.4625
	//  600 0.7000
	// 1100 0.8000
	// 2000 0.8000
}

func ExampleTrack() {
	// L1 strength 0.1·m, with m steered so that the measured sparsity
	// follows 0.5.
	s, err := schedules.Parse("track(constant(0.1), signal=sparsity, target=0.5, " +
		"kp=1, ki=0.5, min=0.01, max=100)")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := s.(schedules.Adaptive)
	for step, sparsity := range []float64{0.2, 0.4, 0.5} {
		for _, d := range a.Update(step, map[string]float64{"sparsity": sparsity}) {
			fmt.Printf("step %d: m %.4f -> %.4f (%s)\n", d.Step, d.Old, d.New, d.Reason)
		}
		fmt.Printf("λ(%d) = %.4f\n", step+1, a.At(step+1))
	}
	// Output:
	// step 0: m 1.0000 -> 1.5683 (sparsity 0.2 is below target 0.5)
	// λ(1) = 0.1568
	// step 1: m 1.5683 -> 1.3499 (sparsity 0.4 is below target 0.5)
	// λ(2) = 0.1350
	// step 2: m 1.3499 -> 1.2214 (sparsity 0.5 is at target 0.5)
	// λ(3) = 0.1221
}

func ExampleGuard() {
	g := &schedules.Guard{
		Base:      schedules.Constant{Value: 1},
		Signal:    "val_acc",
		Mode:      schedules.Max,
		Tolerance: 0.05,
		Factor:    0.5,
		Hold:      2,
		Recover:   1,
		Bounds:    schedules.Bounds{Init: 1, Min: 0, Max: 1e6},
	}
	for step, acc := range []float64{0.90, 0.91, 0.80, 0.80} {
		for _, d := range g.Update(step, map[string]float64{"val_acc": acc}) {
			fmt.Printf("step %d: m %.2f -> %.2f\n%s\n", d.Step, d.Old, d.New, d.Reason)
		}
	}
	fmt.Println(g)
	// Output:
	// step 2: m 1.00 -> 0.50
	// backed off: val_acc 0.8 is worse than its best 0.91 by more than 0.05
	// guard(constant(1), signal=val_acc, mode=max, tolerance=0.05, factor=0.5, hold=2)
}
