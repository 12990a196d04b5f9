"""Deterministic tags and a coarse category from a product's name (used for the Online Retail data).

The retailer's descriptions are short upper-case noun phrases ("WHITE HANGING HEART T-LIGHT HOLDER").
Rules are keyword lists matched on whole words, so the outcome is predictable, explainable and
stable across runs, and a catalogue manager can read and correct them here:

- the text is upper-cased and reduced to its words (letters only: ``T-LIGHT`` reads ``T LIGHT``);
- a phrase matches when its words appear consecutively (``KEY RING`` does not match ``KEYRING``);
- tags are ``facet:value``: ``colour:*``, ``material:*``, ``type:*``, ``theme:*``; a product gets
  every tag whose phrases match (synonyms map to one value: ``IVORY`` gives ``colour:cream``);
- the category is the 2-level path of the *first* product-type rule (in the order below) that
  matches, so specific phrases (``CAKE CASES``) come before general ones (``CAKE``...); products
  that no type rule matches land in ``Other > Other``.

The lists were drawn from the most frequent words of the 3.6k product names; they cover about
nine products in ten (see ``docs/ingest.md`` for the measured coverage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "COLOURS",
    "MATERIALS",
    "PRODUCT_TYPES",
    "THEMES",
    "Classification",
    "TypeRule",
    "classify",
    "words_of",
]

OTHER_CATEGORY = ("Other", "Other")


@dataclass(frozen=True)
class TypeRule:
    """A product type, the phrases that name it, and the category it puts a product in."""

    value: str
    phrases: tuple[str, ...]
    category: tuple[str, str]


@dataclass(frozen=True)
class Classification:
    tags: tuple[str, ...]
    category: tuple[str, ...]


# value -> phrases (synonyms share a value)
COLOURS: dict[str, tuple[str, ...]] = {
    "red": ("RED", "RETROSPOT RED", "SCARLET", "CHERRY RED"),
    "pink": ("PINK", "FUSCHIA", "FUCHSIA", "ROSE PINK"),
    "blue": ("BLUE", "TURQUOISE", "NAVY", "AQUA"),
    "green": ("GREEN", "LIME", "MINT"),
    "white": ("WHITE",),
    "black": ("BLACK",),
    "cream": ("CREAM", "IVORY"),
    "gold": ("GOLD", "GOLDEN"),
    "silver": ("SILVER",),
    "purple": ("PURPLE", "LILAC", "LAVENDER COLOUR", "VIOLET"),
    "yellow": ("YELLOW",),
    "orange": ("ORANGE",),
    "brown": ("BROWN", "CHOCOLATE BROWN"),
    "grey": ("GREY", "GRAY"),
    "multicolour": ("MULTICOLOUR", "MULTI COLOUR", "RAINBOW", "ASSORTED COLOUR", "ASSORTED COLOURS"),
}

MATERIALS: dict[str, tuple[str, ...]] = {
    "glass": ("GLASS", "CRYSTAL", "DIAMANTE", "MURANO"),
    "metal": ("METAL", "ZINC", "TIN", "TINS", "IRON", "WIRE", "COPPER", "ENAMEL", "ALUMINIUM", "STEEL"),
    "wood": ("WOOD", "WOODEN", "BAMBOO"),
    "ceramic": ("CERAMIC", "PORCELAIN", "BONE CHINA", "STONEWARE", "EARTHENWARE"),
    "paper": ("PAPER", "CARDBOARD", "PAPIER MACHE", "ORIGAMI"),
    "textile": (
        "COTTON",
        "FELT",
        "FELTCRAFT",
        "FABRIC",
        "JUTE",
        "LINEN",
        "VELVET",
        "LACE",
        "CANVAS",
        "KNITTED",
        "CROCHET",
        "WOOL",
        "FLANNEL",
        "GINGHAM",
    ),
    "wicker": ("WICKER", "RATTAN", "WILLOW", "SEAGRASS"),
    "plastic": ("PLASTIC", "ACRYLIC", "PVC", "MELAMINE"),
    "leather": ("LEATHER",),
    "slate": ("SLATE",),
}

THEMES: dict[str, tuple[str, ...]] = {
    "christmas": (
        "CHRISTMAS",
        "XMAS",
        "ADVENT",
        "SANTA",
        "REINDEER",
        "SNOWFLAKE",
        "SNOWMAN",
        "NOEL",
        "BAUBLE",
        "BAUBLES",
        "NATIVITY",
    ),
    "easter": ("EASTER", "BUNNY", "CHICK", "CHICKS"),
    "halloween": ("HALLOWEEN", "PUMPKIN", "WITCH"),
    "love": ("HEART", "HEARTS", "LOVE", "SWEETHEART", "VALENTINE", "LOVEBIRD", "LOVEBIRDS"),
    "vintage": ("VINTAGE", "RETRO", "ANTIQUE", "VICTORIAN", "EDWARDIAN", "BAROQUE", "REGENCY"),
    "british": ("UNION JACK", "UNION FLAG", "LONDON", "BRITISH", "ENGLISH", "QUEENS GUARD", "BRITANNIA"),
    "floral": ("FLOWER", "FLOWERS", "FLORAL", "ROSE", "ROSES", "DAISY", "BLOSSOM", "BOTANICAL", "TULIP"),
    "polka-dot": ("POLKADOT", "POLKA DOT", "SPOTTY", "SPOTS", "RETROSPOT", "DOTS"),
    "animals": (
        "BIRD",
        "BIRDS",
        "OWL",
        "CAT",
        "CATS",
        "DOG",
        "DOGS",
        "RABBIT",
        "HEN",
        "FROG",
        "BUTTERFLY",
        "DINOSAUR",
        "ELEPHANT",
        "HORSE",
        "PIG",
        "SHEEP",
        "DUCK",
        "FOX",
        "MOUSE",
        "BEAR",
        "ANIMAL",
        "ANIMALS",
    ),
    "kids": (
        "CHILDRENS",
        "CHILDS",
        "CHILD",
        "KIDS",
        "BABY",
        "DOLLY GIRL",
        "SPACEBOY",
        "CIRCUS PARADE",
        "TOADSTOOL",
        "FAIRY",
    ),
    "party": ("PARTY", "BIRTHDAY", "CELEBRATION"),
    "garden": ("GARDEN", "WOODLAND"),
    "paisley": ("PAISLEY",),
    "skulls": ("SKULL", "SKULLS"),
    "tea-time": ("TEA TIME", "TEATIME", "VINTAGE TEA"),
}

# Order matters: the first rule that matches gives the category, so specific phrases come first.
PRODUCT_TYPES: tuple[TypeRule, ...] = (
    TypeRule(
        "candle-holder",
        (
            "T LIGHT HOLDER",
            "TLIGHT HOLDER",
            "TEA LIGHT HOLDER",
            "CANDLE HOLDER",
            "CANDLEHOLDER",
            "CANDLESTICK",
            "LANTERN",
            "LANTERNS",
        ),
        ("Home Decor", "Candles & Lighting"),
    ),
    TypeRule("cake-cases", ("CAKE CASES", "CUPCAKE CASES", "BAKING CASES"), ("Kitchen & Dining", "Baking")),
    TypeRule("hot-water-bottle", ("HOT WATER BOTTLE",), ("Home Decor", "Soft Furnishings")),
    TypeRule(
        "lunch-box",
        ("LUNCH BOX", "LUNCHBOX", "LUNCH BAG", "SNACK BOX", "PICNIC"),
        ("Kitchen & Dining", "Lunch & Picnic"),
    ),
    TypeRule(
        "key-ring",
        ("KEY CHAIN", "KEY CHAINS", "KEY RING", "KEYRING", "KEY FOB"),
        ("Fashion & Accessories", "Small Accessories"),
    ),
    TypeRule(
        "gift-wrap",
        (
            "GIFT WRAP",
            "WRAPPING PAPER",
            "WRAP",
            "GIFT BAG",
            "GIFT TAG",
            "GIFT TAGS",
            "TISSUE",
            "TISSUES",
            "RIBBON",
            "RIBBONS",
            "RIBBON REEL",
            "GIFT BOX",
        ),
        ("Stationery & Gifts", "Gift Wrap"),
    ),
    TypeRule(
        "card",
        ("GREETING CARD", "CHRISTMAS CARD", "BIRTHDAY CARD", "CARD", "CARDS"),
        ("Stationery & Gifts", "Cards"),
    ),
    TypeRule(
        "kitchen-textile",
        (
            "APRON",
            "OVEN GLOVE",
            "TEA TOWEL",
            "TEA TOWELS",
            "TEA COSY",
            "TABLE CLOTH",
            "TABLECLOTH",
            "NAPKIN",
            "NAPKINS",
            "PLACEMAT",
            "PLACEMATS",
        ),
        ("Kitchen & Dining", "Kitchen Textiles"),
    ),
    TypeRule(
        "baking",
        (
            "BAKING",
            "CAKE TIN",
            "CAKE STAND",
            "CAKESTAND",
            "CUTTERS",
            "MOULD",
            "ICING",
            "ROLLING PIN",
            "MEASURING",
            "CAKE MOULD",
            "PASTRY",
        ),
        ("Kitchen & Dining", "Baking"),
    ),
    TypeRule(
        "mug",
        ("MUG", "MUGS", "CUP", "CUPS", "BEAKER", "BEAKERS", "TEACUP", "CUP AND SAUCER", "SAUCER"),
        ("Kitchen & Dining", "Mugs & Cups"),
    ),
    TypeRule(
        "tableware",
        (
            "DOILIES",
            "DOILEY",
            "DOILY",
            "CHARGER",
            "GOBLET",
            "WINE GLASS",
            "APERITIF GLASS",
            "MILKSHAKE GLASS",
            "PLACE SETTING",
            "FOOD COVER",
            "EGG COSY",
            "EGG WARMER",
            "EGG HOUSE",
            "TOAST ITS",
            "FRYING PAN",
            "MILK PAN",
            "PAN",
            "LADLE",
            "WASHING UP GLOVES",
            "PLATE",
            "PLATES",
            "BOWL",
            "BOWLS",
            "DISH",
            "DISHES",
            "JUG",
            "TEAPOT",
            "CUTLERY",
            "TRAY",
            "COASTER",
            "COASTERS",
            "GLASSES",
            "TUMBLER",
            "EGG CUP",
            "STRAWS",
            "CAKE SLICE",
            "SPOON",
            "SPOONS",
            "CHOPSTICKS",
        ),
        ("Kitchen & Dining", "Tableware"),
    ),
    TypeRule(
        "kitchen-storage",
        (
            "JAR",
            "JARS",
            "CADDY",
            "CONTAINER",
            "BREAD BIN",
            "PANTRY",
            "CAKE TIN",
            "STORAGE TIN",
            "TIN",
            "TINS",
            "BOTTLE",
            "BOTTLES",
        ),
        ("Kitchen & Dining", "Kitchen Storage"),
    ),
    TypeRule(
        "candle",
        ("CANDLE", "CANDLES", "T LIGHTS", "T LIGHT", "TEALIGHT", "TEALIGHTS", "TEA LIGHTS"),
        ("Home Decor", "Candles & Lighting"),
    ),
    TypeRule(
        "lights",
        ("LIGHTS", "LAMP", "LAMPSHADE", "NIGHT LIGHT", "LED", "LIGHT"),
        ("Home Decor", "Candles & Lighting"),
    ),
    TypeRule(
        "home-fragrance",
        ("INCENSE", "OIL BURNER", "FRAGRANCE", "DIFFUSER", "SCENTED", "POT POURRI"),
        ("Home Decor", "Home Fragrance"),
    ),
    TypeRule(
        "jewellery",
        (
            "HAIRSLIDE",
            "CLIPS",
            "NECKLACE",
            "NECKL",
            "BRACELET",
            "EARRINGS",
            "PENDANT",
            "BROOCH",
            "BANGLE",
            "CHARM",
            "CHARMS",
            "RING",
            "HAIR CLIP",
            "HAIRCLIP",
            "HAIR SLIDE",
            "HAIR BAND",
            "HAIRBAND",
            "HAIR COMB",
            "TIARA",
            "BEADS",
            "HAIR",
        ),
        ("Fashion & Accessories", "Jewellery & Hair"),
    ),
    TypeRule(
        "bag",
        (
            "BAG",
            "BAGS",
            "SHOPPER",
            "TOTE",
            "HANDBAG",
            "PURSE",
            "WALLET",
            "WASHBAG",
            "LUGGAGE TAG",
            "BACKPACK",
            "RUCKSACK",
        ),
        ("Fashion & Accessories", "Bags & Purses"),
    ),
    TypeRule(
        "umbrella",
        ("PASSPORT COVER", "HAND WARMER", "FAN", "HEADPHONES", "SLIPPER", "SLIPPERS", "UMBRELLA", "PARASOL"),
        ("Fashion & Accessories", "Small Accessories"),
    ),
    TypeRule(
        "stationery",
        (
            "POCKET BOOK",
            "SCRAP BOOK",
            "CALCULATOR",
            "SCISSOR",
            "SCISSORS",
            "RUBBER",
            "ERASERS",
            "HOLE PUNCH",
            "STATIONERY",
            "PAPERWEIGHT",
            "NOTEBOOK",
            "NOTEBOOKS",
            "PEN",
            "PENS",
            "PENCIL",
            "PENCILS",
            "ERASER",
            "RUBBERS",
            "STICKER",
            "STICKERS",
            "MEMO",
            "CALENDAR",
            "DIARY",
            "SKETCHBOOK",
            "JOURNAL",
            "ENVELOPE",
            "ENVELOPES",
            "TAPE",
            "NOTE BOOK",
            "NOTEPAD",
            "NOTE PAD",
            "ADDRESS BOOK",
            "BOOKMARK",
            "RULER",
            "SHARPENER",
            "STAMP",
            "STAMPS",
            "PAPER CHAIN",
            "MAGNET",
            "MAGNETS",
            "PHOTO ALBUM",
        ),
        ("Stationery & Gifts", "Stationery"),
    ),
    TypeRule(
        "party",
        (
            "PARTY BAG",
            "BALLOON",
            "BALLOONS",
            "CONFETTI",
            "PARTY CONES",
            "PARTY HAT",
            "BUNTING",
            "PINATA",
            "PARTY",
        ),
        ("Stationery & Gifts", "Party Supplies"),
    ),
    TypeRule(
        "toy",
        (
            "HELICOPTER",
            "DRAWING SLATE",
            "INFLATABLE",
            "PATCHES",
            "CRAFT",
            "WINDMILL",
            "TOY",
            "TOYS",
            "GAME",
            "GAMES",
            "JIGSAW",
            "PUZZLE",
            "DOLL",
            "DOLLS",
            "SKIPPING ROPE",
            "SPINNING TOP",
            "PLAYING CARDS",
            "DOMINOES",
            "MARBLES",
            "BALL",
            "TEDDY",
            "CRAYONS",
            "COLOURING",
            "PAINTING SET",
            "SOLDIER",
            "SOLDIERS",
            "KIT",
            "WATER PISTOL",
            "YOYO",
            "KNITTING",
            "SEWING",
        ),
        ("Toys & Games", "Toys"),
    ),
    TypeRule(
        "garden",
        (
            "PLANTER",
            "PLANT POT",
            "FLOWER POT",
            "WATERING CAN",
            "BIRD FEEDER",
            "BIRD HOUSE",
            "BIRDHOUSE",
            "TROWEL",
            "SEED",
            "SEEDS",
            "HERB MARKER",
            "GARDEN",
            "POT",
            "POTS",
        ),
        ("Garden & Outdoor", "Garden"),
    ),
    TypeRule(
        "bath",
        (
            "SOAP",
            "BATH",
            "BATHROOM",
            "TOWEL",
            "SPONGE",
            "MAKE UP",
            "COSMETIC",
            "LIP GLOSS",
            "NAIL",
            "TOOTHBRUSH",
            "TOILET",
        ),
        ("Bath & Beauty", "Bath"),
    ),
    TypeRule(
        "cushion",
        (
            "MAT",
            "CUSHION",
            "CUSHION COVER",
            "FILLER PAD",
            "THROW",
            "QUILT",
            "BLANKET",
            "CURTAIN",
            "DOORMAT",
            "DOOR MAT",
            "RUG",
            "PILLOW",
        ),
        ("Home Decor", "Soft Furnishings"),
    ),
    TypeRule("furniture", ("STOOL", "CHAIR", "SHELF", "SIDE TABLE", "BENCH"), ("Home Decor", "Furniture")),
    TypeRule("clock", ("CLOCK", "ALARM CLOCK"), ("Home Decor", "Clocks")),
    TypeRule(
        "wall-art",
        (
            "SIGN",
            "PLAQUE",
            "FRAME",
            "PHOTO FRAME",
            "PICTURE",
            "MIRROR",
            "WALL ART",
            "PRINT",
            "POSTER",
            "TILE",
            "TILES",
            "CHALKBOARD",
            "BLACKBOARD",
            "BOARD",
        ),
        ("Home Decor", "Wall Art & Mirrors"),
    ),
    TypeRule(
        "decoration",
        (
            "ARTIFICIAL FLOWER",
            "LETTERS",
            "BUILDING BLOCK",
            "MUSHROOM",
            "TOADSTOOL",
            "HONEYCOMB",
            "PAPER BELL",
            "EGG HUNT",
            "FLAG",
            "WINDSOCK",
            "HANGING",
            "DECORATION",
            "DECORATIONS",
            "ORNAMENT",
            "GARLAND",
            "WREATH",
            "MOBILE",
            "CHIME",
            "CHIMES",
            "BAUBLE",
            "BAUBLES",
            "STAR",
            "FIGURE",
            "FIGURINE",
            "ANGEL",
            "TREE",
            "FEATHER",
            "FEATHERS",
        ),
        ("Home Decor", "Decorations"),
    ),
    TypeRule(
        "hooks",
        (
            "HOOK",
            "HOOKS",
            "HANGER",
            "HANGERS",
            "COAT RACK",
            "KNOB",
            "KNOBS",
            "DOORSTOP",
            "DOOR STOP",
            "RACK",
            "DOOR HANGER",
        ),
        ("Home Decor", "Hooks, Knobs & Doorstops"),
    ),
    TypeRule(
        "storage",
        (
            "TIDY",
            "BOX",
            "BOXES",
            "BASKET",
            "BASKETS",
            "STORAGE",
            "CABINET",
            "DRAWER",
            "DRAWERS",
            "TRINKET",
            "CHEST",
            "CRATE",
            "BUCKET",
            "BIN",
            "HOLDER",
            "CASE",
            "ORGANISER",
        ),
        ("Home Decor", "Storage"),
    ),
)

_WORD = re.compile(r"[A-Z]+")


def words_of(text: str) -> str:
    """``" WHITE HANGING HEART T LIGHT HOLDER "``: the words of ``text``, padded for phrase matching."""
    return " " + " ".join(_WORD.findall(text.upper())) + " "


def _matches(words: str, phrases: tuple[str, ...]) -> bool:
    return any(f" {phrase} " in words for phrase in phrases)


def classify(title: str) -> Classification:
    """Tags (sorted) and category path for a product named ``title``."""
    words = words_of(title)
    tags: set[str] = set()
    for facet, table in (("colour", COLOURS), ("material", MATERIALS), ("theme", THEMES)):
        tags.update(f"{facet}:{value}" for value, phrases in table.items() if _matches(words, phrases))
    category: tuple[str, ...] = OTHER_CATEGORY
    for rule in PRODUCT_TYPES:
        if _matches(words, rule.phrases):
            if category == OTHER_CATEGORY:
                category = rule.category
            tags.add(f"type:{rule.value}")
    return Classification(tags=tuple(sorted(tags)), category=category)
