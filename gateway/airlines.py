"""Reference data about airlines and aircraft types: the names the gateway shows, and the
alliances, bases and fleets the simulators schedule with.

Providers spell carriers their own way (Amadeus's dictionaries in capitals, "TURKISH AIRLINES";
Duffel in mixed case, "Turkish Airlines"), so the gateway shows a carrier by its IATA code's
proper name from this table, and an aircraft type by its proper name ("Boeing 777-300ER"). No
package on PyPI keeps IATA airline names with a clear licence (OpenFlights' table is ODbL and
not maintained as a package), so this is a small hand-kept table: the carriers' own spelling
of their names, alliance membership from oneworld's, Star Alliance's and SkyTeam's member
lists (2025), and each carrier's main hubs (its primary one first).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum

from gateway.casing import display_case


class Alliance(Enum):
    ONEWORLD = "oneworld"
    STAR = "Star Alliance"
    SKYTEAM = "SkyTeam"


@dataclass(frozen=True, slots=True)
class Airline:
    code: str
    name: str
    """As the carrier writes it ("KLM Royal Dutch Airlines", "JetBlue")."""
    alliance: Alliance | None
    bases: tuple[str, ...]
    """Hub airports, the primary one first."""
    narrow_bodies: tuple[str, ...]
    """IATA aircraft type codes flown on short and medium haul."""
    wide_bodies: tuple[str, ...] = ()
    """IATA aircraft type codes flown on long haul (none: no long-haul fleet)."""


AIRCRAFT = {
    "221": "Airbus A220-100",
    "223": "Airbus A220-300",
    "319": "Airbus A319",
    "320": "Airbus A320",
    "32N": "Airbus A320neo",
    "321": "Airbus A321",
    "32Q": "Airbus A321neo",
    "332": "Airbus A330-200",
    "333": "Airbus A330-300",
    "339": "Airbus A330-900neo",
    "359": "Airbus A350-900",
    "351": "Airbus A350-1000",
    "388": "Airbus A380-800",
    "738": "Boeing 737-800",
    "739": "Boeing 737-900",
    "7M8": "Boeing 737 MAX 8",
    "74H": "Boeing 747-8",
    "763": "Boeing 767-300",
    "772": "Boeing 777-200",
    "77W": "Boeing 777-300ER",
    "788": "Boeing 787-8",
    "789": "Boeing 787-9",
    "781": "Boeing 787-10",
    "E90": "Embraer 190",
    "E95": "Embraer 195",
}
"""Aircraft types by IATA code, with their makers' names."""

_O, _S, _T = Alliance.ONEWORLD, Alliance.STAR, Alliance.SKYTEAM

AIRLINES = (
    # oneworld
    Airline("BA", "British Airways", _O, ("LHR", "LGW"), ("320", "321", "32Q", "319"),
            ("77W", "789", "781", "351", "388")),
    Airline("AA", "American Airlines", _O, ("DFW", "CLT", "ORD", "MIA", "PHL", "JFK", "LAX"),
            ("321", "738", "7M8"), ("77W", "789", "788", "772")),
    Airline("IB", "Iberia", _O, ("MAD",), ("32N", "32Q", "320"), ("359", "333")),
    Airline("AY", "Finnair", _O, ("HEL",), ("320", "321", "E90"), ("359", "333")),
    Airline("QR", "Qatar Airways", _O, ("DOH",), ("320", "7M8"), ("359", "351", "77W", "788")),
    Airline("CX", "Cathay Pacific", _O, ("HKG",), ("32Q",), ("359", "351", "77W")),
    Airline("JL", "Japan Airlines", _O, ("HND", "NRT"), ("738", "359"), ("351", "789", "77W")),
    Airline("QF", "Qantas", _O, ("SYD", "MEL", "BNE"), ("738", "223"), ("789", "388", "332")),
    Airline("AS", "Alaska Airlines", _O, ("SEA", "PDX", "ANC"), ("739", "7M8")),
    Airline("MH", "Malaysia Airlines", _O, ("KUL",), ("738", "7M8"), ("359", "339")),
    Airline("AT", "Royal Air Maroc", _O, ("CMN",), ("738", "7M8"), ("789", "788")),
    # Star Alliance
    Airline("LH", "Lufthansa", _S, ("FRA", "MUC"), ("32N", "321", "320"),
            ("359", "74H", "789", "333")),
    Airline("LX", "Swiss International Air Lines", _S, ("ZRH", "GVA"), ("221", "223", "32N"),
            ("77W", "333", "359")),
    Airline("OS", "Austrian Airlines", _S, ("VIE",), ("320", "E95"), ("763", "789")),
    Airline("SN", "Brussels Airlines", _S, ("BRU",), ("320", "319"), ("333",)),
    Airline("TP", "TAP Air Portugal", _S, ("LIS", "OPO"), ("32N", "32Q", "E95"), ("339",)),
    Airline("LO", "LOT Polish Airlines", _S, ("WAW",), ("7M8", "E95"), ("789", "788")),
    Airline("A3", "Aegean Airlines", _S, ("ATH",), ("32N", "320", "32Q")),
    Airline("TK", "Turkish Airlines", _S, ("IST",), ("32Q", "7M8", "321"),
            ("77W", "359", "789", "333")),
    Airline("UA", "United Airlines", _S, ("EWR", "ORD", "IAD", "DEN", "IAH", "SFO", "LAX"),
            ("7M8", "739", "320"), ("77W", "789", "781", "763")),
    Airline("AC", "Air Canada", _S, ("YYZ", "YUL", "YVR"), ("223", "321", "7M8"),
            ("77W", "789", "333")),
    Airline("SQ", "Singapore Airlines", _S, ("SIN",), ("7M8",), ("359", "781", "77W", "388")),
    Airline("NH", "All Nippon Airways", _S, ("HND", "NRT"), ("32N", "738"),
            ("789", "77W", "781")),
    Airline("NZ", "Air New Zealand", _S, ("AKL",), ("32N", "320"), ("789", "77W")),
    Airline("TG", "Thai Airways", _S, ("BKK",), ("32N",), ("359", "77W", "789")),
    Airline("ET", "Ethiopian Airlines", _S, ("ADD",), ("7M8",), ("359", "789", "77W")),
    # SkyTeam
    Airline("AF", "Air France", _T, ("CDG",), ("223", "32N", "320", "321"),
            ("359", "77W", "789", "772")),
    Airline("KL", "KLM Royal Dutch Airlines", _T, ("AMS",), ("738", "E95", "32N"),
            ("77W", "789", "781", "333")),
    Airline("DL", "Delta Air Lines", _T, ("ATL", "JFK", "MSP", "DTW", "SLC", "SEA", "BOS"),
            ("321", "739", "223"), ("339", "359", "763")),
    Airline("VS", "Virgin Atlantic", _T, ("LHR", "MAN"), (), ("351", "339", "789")),
    Airline("KE", "Korean Air", _T, ("ICN",), ("7M8", "223"), ("77W", "789", "388")),
    Airline("AM", "Aeromexico", _T, ("MEX",), ("7M8", "738"), ("789", "788")),
    Airline("UX", "Air Europa", _T, ("MAD",), ("738", "7M8", "E95"), ("789",)),
    Airline("SK", "SAS Scandinavian Airlines", _T, ("CPH", "ARN", "OSL"), ("32N", "320"),
            ("339", "333")),
    Airline("MU", "China Eastern Airlines", _T, ("PVG",), ("32N", "738"), ("359", "77W")),
    Airline("VN", "Vietnam Airlines", _T, ("SGN", "HAN"), ("321", "32N"), ("359", "789")),
    # Unaligned
    Airline("EK", "Emirates", None, ("DXB",), (), ("388", "77W")),
    Airline("EY", "Etihad Airways", None, ("AUH",), ("32N",), ("789", "781", "351")),
    Airline("B6", "JetBlue", None, ("JFK", "BOS", "FLL"), ("32Q", "320", "223")),
    Airline("EI", "Aer Lingus", None, ("DUB",), ("320", "32N", "32Q"), ("333", "339")),
    Airline("FI", "Icelandair", None, ("KEF",), ("7M8", "32Q"), ("763",)),
    Airline("VY", "Vueling", None, ("BCN",), ("320", "32N", "321")),
)  # fmt: skip
"""The carriers the simulators schedule, and whose names the gateway knows."""

AIRLINE_BY_CODE = {airline.code: airline for airline in AIRLINES}


def airline(code: str) -> Airline | None:
    return AIRLINE_BY_CODE.get(code.upper())


def allied(first: Airline, second: Airline) -> bool:
    """The same carrier, or two members of one alliance."""
    return first == second or (first.alliance is not None and first.alliance == second.alliance)


@functools.cache
def based_at(airport_code: str) -> tuple[Airline, ...]:
    """The carriers with a hub at the airport, primary hubs first."""
    based = [a for a in AIRLINES if airport_code in a.bases]
    return tuple(sorted(based, key=lambda a: (a.bases.index(airport_code) > 0, a.code)))


_AIRCRAFT_BY_NAME = {name.casefold(): name for name in AIRCRAFT.values()}


def carrier_name(code: str, given: str | None) -> str | None:
    """The name to show for a carrier: its proper name when known, else the provider's,
    in mixed case (see `display_case`)."""
    known = AIRLINE_BY_CODE.get(code.upper())
    if known is not None:
        return known.name
    return display_case(given) if given else given


def aircraft_name(given: str | None) -> str | None:
    """The name to show for an aircraft type: the maker's spelling when known, else the
    provider's, in mixed case."""
    if not given:
        return given
    return _AIRCRAFT_BY_NAME.get(given.casefold()) or display_case(given)
