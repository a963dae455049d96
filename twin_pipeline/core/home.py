"""The home from a Home Assistant states export (the list `GET /api/states` returns)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean

DEVICE_DOMAINS = {"light", "switch", "climate", "lock", "cover", "fan", "media_player", "vacuum",
                  "binary_sensor", "camera", "alarm_control_panel", "water_heater", "humidifier"}
NOT_REPORTING = {"unavailable", "unknown", "none", ""}
AIR_QUALITY = {"aqi", "pm25", "pm10", "carbon_dioxide", "volatile_organic_compounds", "nitrogen_dioxide"}


@dataclass(frozen=True)
class HomeSnapshot:
    environmental_data: dict
    device_inventory: list[dict]
    operational_status: str
    occupancy_status: str | None
    not_reporting: int
    entities: int


def _number(value: object) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _celsius(value: float, unit: str | None) -> float:
    return round((value - 32) * 5 / 9, 1) if unit in ("°F", "F", "℉") else round(value, 1)


def home_from_states(states: list[dict]) -> HomeSnapshot:
    """Sensors into environmental_data, devices (state, battery) into device_inventory; an
    entity that is unavailable or unknown is counted, never crashed on."""
    temperatures, humidities, air, batteries = [], [], {}, {}
    devices, not_reporting, people = [], 0, []
    for entity in states:
        entity_id = str(entity.get("entity_id", ""))
        domain = entity_id.split(".", 1)[0]
        state = str(entity.get("state", "")).strip().lower()
        attributes = entity.get("attributes") or {}
        if state in NOT_REPORTING:
            not_reporting += 1
        value, device_class = _number(entity.get("state")), attributes.get("device_class")
        if domain == "sensor" and value is not None:
            if device_class == "temperature":
                temperatures.append(_celsius(value, attributes.get("unit_of_measurement")))
            elif device_class == "humidity":
                humidities.append(value)
            elif device_class in AIR_QUALITY:
                air[device_class] = value
            elif device_class == "battery":
                batteries[entity_id.removeprefix("sensor.").removesuffix("_battery")] = value
        if domain in ("person", "device_tracker"):
            people.append(state)
        if domain in DEVICE_DOMAINS:
            battery = _number(attributes.get("battery_level"))
            devices.append({
                "entity_id": entity_id,
                "name": attributes.get("friendly_name") or entity_id,
                "state": state,
                "battery": battery,
                "last_changed": entity.get("last_changed"),
            })
    for device in devices:
        if device["battery"] is None:
            device["battery"] = batteries.get(device["entity_id"].split(".", 1)[1])
    environmental = {
        "temperature_c": round(mean(temperatures), 1) if temperatures else None,
        "humidity_pct": round(mean(humidities), 1) if humidities else None,
        "air_quality": air,
        "sensors": {"temperature": len(temperatures), "humidity": len(humidities)},
    }
    silent = sum(1 for d in devices if d["state"] in NOT_REPORTING)
    low = sum(1 for d in devices if d["battery"] is not None and d["battery"] < 15)
    if devices and (silent * 2 > len(devices) or any(d["battery"] is not None and d["battery"] < 5 for d in devices)):
        status = "Alert"
    elif silent or low:
        status = "Degraded"
    else:
        status = "Optimal"
    occupancy = None
    if people:
        occupancy = "Occupied" if "home" in people else "Away"
    return HomeSnapshot(environmental, devices, status, occupancy, not_reporting, len(states))
