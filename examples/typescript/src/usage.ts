/**
 * What a frontend writes with the generated types: Apollo Client with the default cache, the
 * trip search, its next pages, and a search box. `npm run typecheck` compiles it (strict), and
 * the gateway's test suite does too, against types generated from the current schema.graphql.
 */
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";

import {
  FlightsPageDocument,
  LocationsDocument,
  TripDocument,
  type FlightOfferCardFragment,
  type FlightSearchInput,
  type HotelSearchInput,
  type LocationsQuery,
  type TripQuery,
} from "./__generated__/graphql";

// No typePolicies: every FlightOffer, HotelOffer, Hotel and RoomOffer has an `id` that is a
// digest of all its values, so the default normalisation (__typename + id) is correct.
export const client = new ApolloClient({
  link: new HttpLink({ uri: "/graphql" }),
  cache: new InMemoryCache(),
});

/** True only when A and B are the same type: `any` or `unknown` in place of `string` fails. */
type Exactly<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Money = FlightOfferCardFragment["price"];
type Segment = FlightOfferCardFragment["itineraries"][number]["segments"][number];
type Room = NonNullable<TripQuery["hotels"]>["offers"]["nodes"][number]["rooms"][number];
type FareSource = FlightOfferCardFragment["fares"][number]["sources"][number];

export const scalarsAreStrings: [
  Exactly<Money["amount"], string>,
  Exactly<Segment["departure"]["at"], string>,
  Exactly<Room["checkIn"], string>,
  Exactly<Room["freeCancellationUntil"], string | null>,
  Exactly<FlightOfferCardFragment["lastTicketingDate"], string | null>,
  Exactly<FlightOfferCardFragment["id"], string>,
  Exactly<FlightSearchInput["departureDate"], string>,
  Exactly<FareSource["expiresAt"], string | null>,
] = [true, true, true, true, true, true, true, true];

/** "£1,234.50": Intl formats the decimal string itself (ES2023), never through a float. */
export function formatPrice(price: Money, locale = "en-GB"): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency: price.currency });
  return format.format(price.amount as Intl.StringNumericLiteral);
}

/** "21:50": a LocalDateTime is the airport's own clock, so it is shown as it is, never
 * through `new Date()`, which would read it in the browser's time zone. */
export function localTime(at: Segment["departure"]["at"]): string {
  const time = Temporal.PlainDateTime.from(at);
  return `${String(time.hour).padStart(2, "0")}:${String(time.minute).padStart(2, "0")}`;
}

/** The cheapest flight's price, exact: amounts are compared as decimals by the gateway, which
 * also sorts the offers, so the first edge is the cheapest. */
export function cheapestFlight(data: TripQuery): { id: string; amount: string } | null {
  const first = data.flights?.offers.edges[0]?.node;
  return first ? { id: first.id, amount: first.price.amount } : null;
}

export async function searchTrip(
  flight: FlightSearchInput,
  hotel: HotelSearchInput,
): Promise<TripQuery | undefined> {
  const { data } = await client.query({ query: TripDocument, variables: { flight, hotel } });
  return data;
}

/** The page after `endCursor`, from the same stored result set (no provider is called). */
export async function nextFlights(
  search: FlightSearchInput,
  after: string,
): Promise<FlightOfferCardFragment[]> {
  const { data } = await client.query({
    query: FlightsPageDocument,
    variables: { search, after, first: 20 },
  });
  return data?.flights?.offers.nodes ?? [];
}

export async function suggest(typed: string): Promise<NonNullable<LocationsQuery["locations"]>> {
  const { data } = await client.query({ query: LocationsDocument, variables: { query: typed } });
  return data?.locations ?? [];
}

export const london: FlightSearchInput = {
  origin: "LON",
  destination: "NYC",
  departureDate: "2027-01-10",
  currency: "EUR",
  maxPrice: "750.00",
};

export const wrong: FlightSearchInput = {
  origin: "LON",
  destination: "NYC",
  departureDate: "2027-01-10",
  // @ts-expect-error a Decimal is a string on the wire, never a number
  maxPrice: 750,
};
