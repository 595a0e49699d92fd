package schedules

var adaptiveBuilders = map[string]func(*value) (Schedule, error){}
