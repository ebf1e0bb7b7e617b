package sim

import (
	"maps"
	"math"
	"math/rand/v2"
	"time"
)

const (
	stopSeconds = 30.0 // the standstill at the start of each drive cycle
	batteryKWh  = 64.0
	tankLitres  = 50.0
)

// vehicle is a car driving a smooth, repeating cycle while its engine runs: a stop,
// then a rise to a peak speed and back. Values are read only while the engine runs;
// with it off the last ones stay, as the firmware never clears them.
type vehicle struct {
	kind    string
	peak    float64 // km/h at the top of the cycle
	period  float64 // seconds per cycle
	tyres   [4]float64
	running bool
	stopped time.Time // when the engine stopped
	drive   float64   // seconds driven; the position in the cycle
	last    time.Time // last advance

	odo, soc, kwhCharged, fuel, coolant float64

	values map[string]any // last values read from the ECU
}

func newVehicle(kind string, seed int64, now time.Time) *vehicle {
	r := rand.New(rand.NewPCG(uint64(seed), 0x0bd))
	v := &vehicle{
		kind:       kind,
		peak:       70 + 40*r.Float64(),
		period:     240 + 120*r.Float64(),
		running:    true,
		last:       now,
		odo:        10000 + 80000*r.Float64(),
		soc:        50 + 45*r.Float64(),
		kwhCharged: 500 + 3000*r.Float64(),
		fuel:       30 + 60*r.Float64(),
		coolant:    20,
	}
	for i := range v.tyres {
		v.tyres[i] = 235 + 10*r.Float64()
	}
	// Start while driving, so that values move from the first post on.
	v.drive = stopSeconds + (v.period-stopSeconds)*(0.1+0.3*r.Float64())
	return v
}

// setRunning starts or stops the engine at now.
func (v *vehicle) setRunning(now time.Time, on bool) {
	v.advance(now)
	if v.running && !on {
		v.stopped = now
	}
	v.running = on
}

// sample advances to now and returns a copy of the values: fresh ones while the
// engine runs, the last ones (or nil) otherwise.
func (v *vehicle) sample(now time.Time) map[string]any {
	v.advance(now)
	if v.running {
		v.values = v.read()
	}
	return maps.Clone(v.values)
}

// advance integrates distance, energy, fuel and temperature up to now.
func (v *vehicle) advance(now time.Time) {
	dt := now.Sub(v.last).Seconds()
	v.last = now
	if !v.running || dt <= 0 {
		return
	}
	steps := int(math.Min(math.Ceil(dt), 1000))
	h := dt / float64(steps)
	for range steps {
		v.step(h)
	}
}

func (v *vehicle) step(h float64) {
	spd, acc := v.speed(v.drive), v.accel(v.drive)
	v.drive += h
	v.odo += spd * h / 3600
	if v.kind == VehicleEV {
		v.soc = math.Max(5, v.soc-evPower(spd, acc)*h/3600/batteryKWh*100)
		v.coolant += (35 - v.coolant) * h / 600
		return
	}
	litres := fuelRate(iceRPM(spd, acc), iceLoad(spd, acc)) * h / 3600
	v.fuel = math.Max(3, v.fuel-litres/tankLitres*100)
	v.coolant += (90 - v.coolant) * h / 300
}

// speed in km/h at drive time t: a stop, then a smooth hump with a little ripple.
func (v *vehicle) speed(t float64) float64 {
	phase := math.Mod(t, v.period)
	if phase < stopSeconds {
		return 0
	}
	x := math.Sin(math.Pi * (phase - stopSeconds) / (v.period - stopSeconds))
	return v.peak * x * x * (1 + 0.06*math.Sin(2*math.Pi*t/23))
}

// accel in m/s² at drive time t.
func (v *vehicle) accel(t float64) float64 {
	return (v.speed(t+0.5) - v.speed(t-0.5)) / 3.6
}

// door is "on" (open) for a while in the middle of each stop.
func (v *vehicle) door(t float64) string {
	if phase := math.Mod(t, v.period); phase >= 10 && phase < 20 {
		return "on"
	}
	return "off"
}

// battery is the 12 V supply the adapter measures itself, engine on or off.
func (v *vehicle) battery(now time.Time) float64 {
	if v.running {
		return 14.1
	}
	return 12.6 - math.Min(0.3, now.Sub(v.stopped).Hours()*0.05)
}

func (v *vehicle) read() map[string]any {
	t := v.drive
	spd, acc := v.speed(t), v.accel(t)
	common := map[string]any{
		"0D-VehicleSpeed":      math.Round(spd),
		"05-EngineCoolantTemp": math.Round(v.coolant),
		"ODOMETER":             round2(v.odo),
		"AUX_V":                round2(14.1 + 0.05*math.Sin(t/11)),
		"DOOR_FL":              v.door(t),
	}
	var own map[string]any
	if v.kind == VehicleEV {
		own = v.readEV(spd, acc)
	} else {
		own = v.readICE(spd, acc, t)
	}
	maps.Copy(common, own)
	return common
}

func (v *vehicle) readEV(spd, acc float64) map[string]any {
	p := evPower(spd, acc)
	hv := 630 + v.soc - 0.4*p
	values := map[string]any{
		"SOC":          round2(v.soc),
		"HV_V":         round2(hv),
		"HV_A":         round2(-p * 1000 / hv),
		"CHARGING":     0,
		"KWH_CHARGED":  round2(v.kwhCharged),
		"0C-EngineRPM": math.Round(spd * 72),
	}
	for i, name := range []string{"TYRE_P_FL", "TYRE_P_FR", "TYRE_P_RL", "TYRE_P_RR"} {
		values[name] = round2(v.tyres[i] + 0.04*spd)
	}
	return values
}

func (v *vehicle) readICE(spd, acc, t float64) map[string]any {
	rpm, load := iceRPM(spd, acc), iceLoad(spd, acc)
	return map[string]any{
		"0C-EngineRPM":                      math.Round(rpm),
		"04-EngineLoad":                     round2(load),
		"10-MAFAirFlowRate":                 round2(maf(rpm, load)),
		"2F-FuelTankLevel":                  round2(v.fuel),
		"0F-IntakeAirTemperature":           math.Round(22 + 0.05*(v.coolant-20)),
		"0B-IntakeManifoldAbsolutePressure": math.Round(28 + 0.7*load),
		"11-ThrottlePosition":               round2(0.8 * load),
		"06-ShortTermFuelTrimBank1":         round2(2.3 * math.Sin(t/7)),
		"Custom fuel rate":                  round2(fuelRate(rpm, load)),
	}
}

// evPower is the traction power in kW; negative while recuperating.
func evPower(spd, acc float64) float64 {
	k := 0.5
	if acc < 0 {
		k = 0.3
	}
	return 0.8 + 0.1*spd + 0.0009*spd*spd + k*acc*spd
}

func iceRPM(spd, acc float64) float64 {
	if spd < 1 {
		return 780
	}
	return 800 + 22*spd + 400*math.Max(acc, 0)
}

func iceLoad(spd, acc float64) float64 {
	return math.Min(100, math.Max(5, 18+0.3*spd+25*acc))
}

// maf is the air mass flow in g/s.
func maf(rpm, load float64) float64 {
	return rpm * load * 0.00012
}

// fuelRate is the fuel flow in l/h from the air flow at a stoichiometric mixture.
func fuelRate(rpm, load float64) float64 {
	return maf(rpm, load) * 3600 / (14.7 * 745)
}

func round2(x float64) float64 {
	return math.Round(x*100) / 100
}
