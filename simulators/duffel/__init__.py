"""The Duffel simulator: offer requests and offers, Stays searches, rates and quotes (`app.py`;
flight documents in `air.py`, Stays' in `stays.py`, what it accepts in `offer_requests.py`)."""
