"""Who sleeps where, as Hotelbeds is asked: the rooms grouped into occupancies, each child by age.

The gateway spreads the guests over the rooms once for every provider (`HotelQuery.parties`).
Hotelbeds takes rooms of the same party as one occupancy, `{"rooms": n, "adults": a,
"children": c, ...}`, with `adults` and `children` counted per room (SDK `Occupancy`), and prices
each occupancy's rates apart; rooms of different parties are separate occupancies, as
Hotelbeds' own support answered for two rooms whose children differ (hotelbeds-sdk/
hotel-api-sdk-php#113: one occupancy per room, each with its child's pax).

Children must be given by age: an occupancy with children and no ages is refused, "Invalid
data. Error at property occupancies: The number of children is wrong" ("when occupancy contains
childrens, you must provide the age of childrens. Is mandatory for availability",
hotel-api-sdk-php#50 and #27). Each child is a pax `{"type": "CH", "age": n}` (SDK `Pax`, as
the SDK's helper builds it, `helpers/Availability.toAvailabilityRQ`).

For several rooms of one party, every room's children are listed, each with its room's
`roomId` (SDK `Pax.roomId`, at least 1), so no child is left to be inferred; Hotelbeds counts
paxes room by room when booking ("The distribution of paxes is not correct. The number of rooms
specified in the paxes do not match with the requested ones", the SDK's
ValidationMessages.properties). Not verified against the live API: the SDK's own helper copies
one room's guests into an occupancy whatever its `rooms`, and no document says which of the
two availability expects. The gateway sends this form only for identical rooms with children
(4 adults and two 6-year-olds in 2 rooms); the family searches of the demo are one room, or
rooms that differ (one occupancy each).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway import domain
from gateway.providers.hotelbeds import wire


@dataclass(frozen=True, slots=True)
class Occupancy:
    """`rooms` rooms with the same guests: `adults` adults and children of `children_ages`
    in each."""

    rooms: int
    adults: int
    children_ages: tuple[int, ...] = ()

    @property
    def children(self) -> int:
        return len(self.children_ages)


def occupancies(parties: tuple[domain.RoomParty, ...]) -> tuple[Occupancy, ...]:
    """The rooms of each party grouped into one occupancy, in the order parties first come."""
    counted: dict[domain.RoomParty, int] = {}
    for party in parties:
        key = domain.RoomParty(party.adults, tuple(sorted(party.children_ages)))
        counted[key] = counted.get(key, 0) + 1
    return tuple(
        Occupancy(rooms, party.adults, party.children_ages) for party, rooms in counted.items()
    )


def request(occupancy: Occupancy) -> dict[str, object]:
    """The occupancy as `AvailabilityRQ.occupancies[]` takes it."""
    asked: dict[str, object] = {
        "rooms": occupancy.rooms,
        "adults": occupancy.adults,
        "children": occupancy.children,
    }
    if occupancy.children_ages:
        if occupancy.rooms == 1:
            asked["paxes"] = [{"type": "CH", "age": age} for age in occupancy.children_ages]
        else:
            asked["paxes"] = [
                {"roomId": room, "type": "CH", "age": age}
                for room in range(1, occupancy.rooms + 1)
                for age in occupancy.children_ages
            ]
    return asked


def answers(rate: wire.Rate, occupancy: Occupancy) -> bool:
    """Whether `rate` is for `occupancy`: the same rooms, adults and children per room, and
    the same ages where the rate states them (for one room, or for every room)."""
    if rate.rooms is None or rate.adults is None:
        return False
    children = 0 if rate.children is None else int(rate.children)
    if (int(rate.rooms), int(rate.adults), children) != (
        occupancy.rooms,
        occupancy.adults,
        occupancy.children,
    ):
        return False
    stated = ages(rate.childrenAges)
    if stated is None:
        return True
    each = tuple(sorted(occupancy.children_ages))
    return stated in (each, tuple(sorted(each * occupancy.rooms)))


def ages(text: str | None) -> tuple[int, ...] | None:
    """`childrenAges` ("2,4"; a rate key writes "2~4") sorted; None when not stated or not
    ages (then the rate is placed by its counts alone)."""
    if not text or not text.strip():
        return None
    parts = text.replace("~", ",").split(",")
    if not all(part.strip().isdigit() for part in parts):
        return None
    found = sorted(int(part) for part in parts)
    return tuple(found) if all(age <= domain.MAX_CHILD_AGE for age in found) else None
