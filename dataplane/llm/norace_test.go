//go:build !race

package llm

// raceEnabled: the race detector is on, and sync.Pool drops items at random.
const raceEnabled = false
