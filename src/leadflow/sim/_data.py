"""Name, place and company vocabularies the lead simulator draws from.

Everything here is a tuple so that iteration order is fixed: the simulator's output must
be a pure function of its seed, and a set or a dict built at import time would be a
quiet way to lose that.
"""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en_us": (
        (
            "James", "Mary", "Michael", "Jennifer", "David", "Linda", "Robert", "Patricia",
            "Maria", "Carlos", "Aisha", "Darnell", "Emily", "Tyler", "Priya", "Kevin",
            "Jessica", "Brandon", "Megan", "Luis", "Wei", "Olivia", "Noah", "Ava", "Ethan",
            "Sophia", "Marcus", "Keisha", "Hannah", "Jordan", "Tomás", "Grace",
        ),
        (
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
            "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
            "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
            "Clark", "Lewis", "Robinson", "Walker", "Young", "Nguyen", "Patel", "O'Brien",
            "Kowalski",
        ),
    ),
    "en_gb": (
        (
            "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Grace",
            "Charlotte", "Liam", "Siobhan", "Callum", "Chloe", "Mia", "Hamish", "Niamh",
        ),
        (
            "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts",
            "Walsh", "Murphy", "Kelly", "Campbell", "MacDonald", "Hughes", "Byrne", "Clarke",
        ),
    ),
    "de": (
        (
            "Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian", "Marie",
            "Jürgen", "Katrin", "Stefan", "Sabine", "Tobias", "Julia",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Hoffmann", "Schäfer", "Koch", "Bauer", "Huber", "Gruber",
        ),
    ),
    "fr": (
        ("Camille", "Louis", "Manon", "Hugo", "Chloé", "Lucas", "Léa", "Théo", "Inès", "Antoine"),
        (
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Lefèvre", "Girard",
        ),
    ),
    "es": (
        ("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Alejandro", "Carmen", "Javier", "Elena", "Diego"),
        (
            "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
            "Pérez", "Gómez", "Ruiz",
        ),
    ),
    "eu_misc": (
        ("Daan", "Sanne", "Erik", "Astrid", "Piotr", "Agnieszka", "João", "Inês", "Lars", "Freya"),
        ("de Vries", "Jansen", "Lindqvist", "Nowak", "Silva", "Costa", "Bakker", "Andersson"),
    ),
    "in": (
        ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Neha", "Arjun", "Kavya", "Rahul", "Sneha"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair", "Singh", "Mehta", "Rao", "Das"),
    ),
    "jp": (
        ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takashi", "Yuki"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
    ),
    "cn": (
        ("Wei Ling", "Jun Jie", "Mei", "Kai", "Hui Min", "Darren", "Rachel", "Marcus"),
        ("Tan", "Lim", "Lee", "Ng", "Wong", "Chan", "Goh", "Chua"),
    ),
    "np": (
        ("Aayush", "Sita", "Bikash", "Pooja", "Nirajan", "Anjali"),
        ("Shrestha", "Gurung", "Thapa", "Adhikari", "Karki", "Rai"),
    ),
    "pt_br": (
        ("Ana", "João", "Beatriz", "Gabriel", "Larissa", "Rafael"),
        ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira"),
    ),
}
# fmt: on


@dataclass(frozen=True)
class Zone:
    """An IANA zone with the people, places and phone numbers that go with it."""

    tz: str
    region: str  # us | eu | apac | latam
    names: str  # a key of NAMES
    language: str  # the language a prospect here might write in
    cities: tuple[str, ...]
    phone: str  # a template; "{n}" is filled with four digits


# fmt: off
ZONES: tuple[Zone, ...] = (
    Zone("America/New_York", "us", "en_us", "en", ("New York", "Boston", "Atlanta", "Raleigh"), "+1 212-555-01{nn}"),
    Zone("America/Chicago", "us", "en_us", "en", ("Chicago", "Austin", "Dallas", "Minneapolis"), "+1 312-555-01{nn}"),
    Zone("America/Denver", "us", "en_us", "en", ("Denver", "Boulder", "Salt Lake City"), "+1 303-555-01{nn}"),
    Zone("America/Phoenix", "us", "en_us", "en", ("Phoenix", "Tucson", "Scottsdale"), "+1 602-555-01{nn}"),
    Zone("America/Los_Angeles", "us", "en_us", "en", ("San Diego", "Sacramento", "Seattle", "Portland"), "+1 619-555-01{nn}"),
    Zone("America/Detroit", "us", "en_us", "en", ("Detroit", "Ann Arbor", "Grand Rapids"), "+1 313-555-01{nn}"),
    Zone("America/Indiana/Indianapolis", "us", "en_us", "en", ("Indianapolis", "Carmel"), "+1 317-555-01{nn}"),
    Zone("America/Anchorage", "us", "en_us", "en", ("Anchorage", "Fairbanks"), "+1 907-555-01{nn}"),
    Zone("Pacific/Honolulu", "us", "en_us", "en", ("Honolulu", "Kailua"), "+1 808-555-01{nn}"),
    Zone("America/Toronto", "us", "en_us", "en", ("Toronto", "Ottawa"), "+1 416-555-01{nn}"),
    Zone("America/Halifax", "us", "en_us", "en", ("Halifax", "Moncton"), "+1 902-555-01{nn}"),
    Zone("America/St_Johns", "us", "en_us", "en", ("St. John's", "Mount Pearl"), "+1 709-555-01{nn}"),
    Zone("Europe/London", "eu", "en_gb", "en", ("London", "Manchester", "Bristol", "Leeds"), "+44 7700 900{nnn}"),
    Zone("Europe/Dublin", "eu", "en_gb", "en", ("Dublin", "Cork", "Galway"), "+353 85 555 {nnnn}"),
    Zone("Europe/Berlin", "eu", "de", "de", ("Berlin", "München", "Hamburg", "Köln"), "+49 30 5555 {nnnn}"),
    Zone("Europe/Vienna", "eu", "de", "de", ("Wien", "Graz", "Linz"), "+43 1 555 {nnnn}"),
    Zone("Europe/Zurich", "eu", "de", "de", ("Zürich", "Basel", "Bern"), "+41 44 555 {nnnn}"),
    Zone("Europe/Paris", "eu", "fr", "fr", ("Paris", "Lyon", "Marseille", "Toulouse"), "+33 1 55 55 {nnnn}"),
    Zone("Europe/Brussels", "eu", "fr", "fr", ("Bruxelles", "Liège", "Namur"), "+32 2 555 {nnnn}"),
    Zone("Europe/Madrid", "eu", "es", "es", ("Madrid", "Barcelona", "Valencia", "Sevilla"), "+34 91 555 {nnnn}"),
    Zone("Atlantic/Canary", "eu", "es", "es", ("Las Palmas", "Santa Cruz de Tenerife"), "+34 928 555 {nnn}"),
    Zone("Europe/Amsterdam", "eu", "eu_misc", "en", ("Amsterdam", "Utrecht", "Rotterdam"), "+31 20 555 {nnnn}"),
    Zone("Europe/Stockholm", "eu", "eu_misc", "en", ("Stockholm", "Göteborg"), "+46 8 555 {nnnn}"),
    Zone("Europe/Lisbon", "eu", "eu_misc", "en", ("Lisboa", "Porto"), "+351 21 555 {nnnn}"),
    Zone("Asia/Kolkata", "apac", "in", "en", ("Bengaluru", "Mumbai", "Pune", "Hyderabad"), "+91 98 5555 {nnnn}"),
    Zone("Asia/Kathmandu", "apac", "np", "en", ("Kathmandu", "Pokhara"), "+977 98 5555 {nnnn}"),
    Zone("Asia/Singapore", "apac", "cn", "en", ("Singapore",), "+65 6555 {nnnn}"),
    Zone("Asia/Hong_Kong", "apac", "cn", "en", ("Hong Kong",), "+852 5555 {nnnn}"),
    Zone("Asia/Tokyo", "apac", "jp", "en", ("Tokyo", "Osaka", "Yokohama"), "+81 3 5555 {nnnn}"),
    Zone("Australia/Sydney", "apac", "en_gb", "en", ("Sydney", "Newcastle", "Wollongong"), "+61 491 570 {nnn}"),
    Zone("Australia/Adelaide", "apac", "en_gb", "en", ("Adelaide",), "+61 491 571 {nnn}"),
    Zone("Australia/Lord_Howe", "apac", "en_gb", "en", ("Lord Howe Island",), "+61 491 572 {nnn}"),
    Zone("Australia/Eucla", "apac", "en_gb", "en", ("Eucla",), "+61 491 573 {nnn}"),
    Zone("Pacific/Auckland", "apac", "en_gb", "en", ("Auckland", "Wellington", "Christchurch"), "+64 21 555 {nnnn}"),
    Zone("Pacific/Chatham", "apac", "en_gb", "en", ("Waitangi",), "+64 3 305 {nnnn}"),
    Zone("America/Mexico_City", "latam", "es", "es", ("Ciudad de México", "Guadalajara"), "+52 55 5555 {nnnn}"),
    Zone("America/Sao_Paulo", "latam", "pt_br", "en", ("São Paulo", "Campinas"), "+55 11 5555 {nnnn}"),
)
# fmt: on

#: How often each region is drawn: mostly North America, as most SDR teams are.
REGION_WEIGHTS: tuple[tuple[str, float], ...] = (("us", 0.55), ("eu", 0.25), ("apac", 0.15), ("latam", 0.05))

COMPANY_FIRST: tuple[str, ...] = (
    "Blue",
    "North",
    "Bright",
    "Iron",
    "Summit",
    "Clear",
    "Pine",
    "Swift",
    "Atlas",
    "Nova",
    "Cedar",
    "Harbor",
    "Vertex",
    "Lumen",
    "Crescent",
    "Granite",
    "Silver",
    "Red",
    "Oak",
    "Tidal",
)
COMPANY_SECOND: tuple[str, ...] = (
    "ridge",
    "path",
    "forge",
    "wave",
    "point",
    "stack",
    "loop",
    "field",
    "bridge",
    "grove",
    "peak",
    "works",
    "line",
    "gate",
    "light",
    "stone",
)
COMPANY_SUFFIX: tuple[str, ...] = (
    "Logistics",
    "Analytics",
    "Labs",
    "Software",
    "Systems",
    "Health",
    "Partners",
    "Robotics",
    "Payments",
    "Security",
    "Media",
    "Insurance",
    "Staffing",
    "Foods",
)

#: Reserved example domains people use for personal mail in the simulation (RFC 2606).
PERSONAL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.net",
    "example.org",
    "mail.example",
    "inbox.example",
)

B2B_TITLES: tuple[str, ...] = (
    "VP of Sales",
    "Head of Revenue Operations",
    "Sales Director",
    "SDR Manager",
    "Director of Business Development",
    "Head of Growth",
    "Sales Operations Manager",
    "Account Executive",
    "Marketing Manager",
)
EXEC_TITLES: tuple[str, ...] = (
    "Founder & CEO",
    "Chief Revenue Officer",
    "COO",
    "Managing Director",
    "President",
)
CONSUMER_TITLES: tuple[str, ...] = (
    "Nurse",
    "Software Engineer",
    "Teacher",
    "Accountant",
    "Electrician",
    "Pharmacist",
    "Project Manager",
    "Dentist",
    "Graphic Designer",
    "Retired",
)

STREETS: tuple[str, ...] = (
    "Maple Ave",
    "Oak St",
    "Lakeview Dr",
    "Cedar Ln",
    "Hillcrest Rd",
    "Park Pl",
    "Elm St",
)
MONTHS: tuple[str, ...] = ("March", "April", "May", "June", "the summer", "the fall")

INQUIRIES: dict[str, dict[str, tuple[str, ...]]] = {
    "real_estate": {
        "hot": (
            "Hi, we're relocating to {city} in {month} and need a 3-bedroom house under ${price}k. "
            "We're already pre-approved. Could we see {address} this weekend?",
            "Interested in {address}. Is it still available? We'd like to move quickly.",
            "Looking for a 4 bed in {city}, budget around ${price}k, moving in {month}.",
        ),
        "cold": (
            "Just browsing. What's the price history on {address}?",
            "Curious what homes in {city} are going for these days.",
            "Is {address} still on the market?",
        ),
    },
    "solar": {
        "hot": (
            "Our electric bill is over ${bill}/month and we own our home in {city}. "
            "Interested in a quote for solar panels.",
            "We want to go solar before {month}. South-facing roof, no shade. What would it cost?",
        ),
        "cold": (
            "How much does solar cost? Just looking for now.",
            "Saw your ad. Do panels work in {city}?",
        ),
    },
    "b2b_saas": {
        "hot": (
            "We're evaluating tools to help our {team}-person SDR team book more meetings. "
            "Looking to decide this quarter.",
            "Requesting a demo. We need to replace our outbound tool by {month}.",
        ),
        "cold": (
            "Downloaded your whitepaper. Curious how it works.",
            "Just researching options for next year.",
        ),
    },
}
