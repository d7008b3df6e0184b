"""Spoiler-free by construction: a review sentence is let through only when it is positively a safe
opinion about the film's craft or the experience of watching it, with no plot content.

`classify` sorts a sentence, in its film's context, into one of four kinds, with the reasons:

- `instruction`: written to a summarizer or model, not to readers (bot/spoilers/instructions.py), or
  smuggling a link or a mention (bot/text/safety.py). Never sent to a model, never shown, in any mode.
- `plot`: character names (from the facts, and inferred from the reviews: bot/spoilers/names.py),
  events and outcomes (who lives, dies, wins, leaves), what happens at the end, the midpoint or in a
  named scene, identities and relationships revealed ("turns out", "his own father"), narration
  (a pronoun doing something that is not acting or directing), author spoiler markup or a sentence
  after the author's "spoilers ahead" warning, or the detector's score at or above the threshold.
- `safe`: no plot content, and an opinion anchor: an aspect of craft or experience (acting,
  direction, writing as craft, look, sound, pacing, tone, a verdict) or evaluative language.
- `neither`: no plot content and no opinion (context, the reviewer's own life, notes about the review itself:
  where it was posted, thanks, its own spoiler markup; bot/text/about_review.py).

Only `safe` may enter spoiler-free text: the offline summary, text sent to a model in spoiler-free
mode, a digest's safe part, offline /ask passages. In spoilers mode everything that is not `safe`
is hidden behind `||…||` (instructions are dropped). When in doubt, out: a false alarm costs one
opinion in a summary; a miss costs a user the film.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.spoilers import lexicon
from bot.spoilers.instructions import instruction_reasons, normalise
from bot.spoilers.names import NOT_NAMES, FilmNames, bare_word, film_names, is_common_word, is_sentence_start
from bot.text.about_review import is_about_the_review
from bot.text.regex_cache import compile_pattern
from bot.text.safety import unsafe_reason
from bot.text.segments import split_review
from bot.text.topics import opinions_in, sentiment, topics_of
from storage.records import Film, Review, Sentence

# Part of every cache key of text built from the allow-list's output (offline summaries): bump it when
# a rule changes which sentences are safe, so cached summaries are rebuilt.
ALLOWLIST_VERSION = 8


class Kind(enum.StrEnum):
    SAFE = "safe"
    PLOT = "plot"
    INSTRUCTION = "instruction"
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class Classification:
    kind: Kind
    reasons: tuple[str, ...] = ()

    @property
    def safe(self) -> bool:
        return self.kind is Kind.SAFE


_WORD = compile_pattern(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*")
_OUTCOME = compile_pattern(lexicon.cues(
    r"\b(?:wins?|won|winning|loses|lost|leaves|left (?:him|her|them|the|his|her)|lives|survives?|survived|"
    r"escapes?|escaped|ends? up|ended up|winds? up|wound up|gets? away|got away|goes free|comes? back|came back|"
    r"returns?|returned|is saved|saves|saved|falls? in love|fell in love|marr(?:y|ies|ied)|divorc\w*|"
    r"breaks? up|broke up|gets? (?:married|pregnant|fired|caught|arrested|away|out)|thrown out|throws? out|"
    r"expelled|kicked out|fired|quits?|resign\w*|downfall|undoing|fate|destiny|sealed|doom\w*|demise|"
    r"(?:attempt|try|tries|tried) (?:on|at|to take) (?:his|her|their) (?:own )?life|own life|"
    r"does ?n[o'’]t make it|did ?n[o'’]t make it|never (?:makes|made) it|make it out|made it out|"
    r"succeeds?|succeeded|fails? to|failed to|defeat\w*|overcomes?|triumph\w*|rescue\w*|sacrific\w*|"
    r"goes on to|went on to|by the time|in the process|comes? to an end|was never|had never|turns? into|"
    r"turned into|becomes?|became|transforms?|transformed|happens?|happened|takes? place|unfold\w*|"
    r"go(?:es)? (?:wrong|awry|south|to hell)|went (?:wrong|awry|south)|as planned|falls? apart|fell apart|"
    r"spiral\w*|unravel\w*|collaps\w*|goes (?:missing|mad|insane)|snaps|snapped|works? out|worked out|"
    r"pays? off|paid off|all ends|ends (?:well|badly|happily|sadly)|happy ending|sad ending|gets? (?:her|his|their) "
    r"(?:wish|way|man|woman|revenge))\b"),
    re.IGNORECASE,
)
_STRUCTURE = compile_pattern(lexicon.cues(
    r"\b(?:midpoint|mid-point|halfway|half-way|half way|middle of the (?:film|movie|story)|first act|"
    r"second act|third act|final act|last act|act (?:one|two|three|i|ii|iii)|opening (?:scene|sequence|act)|"
    r"(?:the|a|one|that|this) (?:\w+ )?(?:scene|sequence|moment|shot) (?:where|when|in which|with)|"
    r"in (?:the|one|a|that) scene|the scene|a scene|the moment|plot point|set piece|cliffhanger|"
    r"(?:first|second|last|final|next) (?:hour|half|twenty|thirty|scene|sequence|shot|frame|minute)s?)\b"),
    re.IGNORECASE,
)
_IDENTITY = compile_pattern(lexicon.cues(
    r"\b(?:is|was|are|were|had been|has been) (?:really|actually|secretly|in fact|truly|revealed)\b|"
    r"\b(?:real|true|secret|hidden|other|double|alter) (?:name|identity|nature|self|life|ego|father|mother|parent)s?\b|"
    r"\b(?:his|her|their|its) (?:own |real |biological |long-lost |estranged |dead |late )?"
    r"(?:father|mother|dad|mom|mum|son|daughter|brother|sister|wife|husband|lover|twin|child|parents?|family)\b|"
    r"\b(?:related to|the same person|split personality|imagined|imagining (?:it|things|the|that)|"
    r"(?:his|her|their) (?:own )?imagination|hallucinat\w*|dream(?:ing|ed|t)? (?:it|the|all)|"
    r"purgatory|afterlife|been dead|was dead|in (?:his|her|their) head|not real|never real|all in)\b"),
    re.IGNORECASE,
)
_ROLE = compile_pattern(lexicon.cues(
    r"(?<!\bas )(?<!\bas a )(?<!\bas an )(?<!\bas the )\b(?:the|his|her|their|its|a|an|this|that|our|whose)\s+"
    r"(?:[\w'’-]+\s+){0,3}?(?:wife|wives|husband|son|daughter|father|mother|dad|mom|mum|brother|sister|"
    r"parents?|family|child|"
    r"children|kids?|boy|girl|baby|grandmother|grandfather|grandma|grandpa|uncle|aunt|cousin|friend|"
    r"girlfriend|boyfriend|lover|partner|fianc\w*|boss|killer|murderer|villain|hero|heroine|protagonist|"
    r"antagonist|narrator|detective|cop|doctor|psychologist|therapist|priest|soldier|captain|king|queen|"
    r"prince|princess|teacher|student|stranger|victim|monster|creature|ghost|alien|robot|couple|twins?|"
    r"stalker|maid|butler|nanny|main character|lead character|title character|central character|"
    r"youngest|eldest|oldest|survivors?|gang)(?:s|es)?\b"),
    re.IGNORECASE,
)
# Where a couple or a family ends up: "getting back together", "they split up", "drift apart".
_RELATIONSHIP = compile_pattern(lexicon.cues(
    r"\bback together\b|\b(?:split(?:s|ting)?|splits) up\b|\bpart(?:s|ed|ing)? ways\b|"
    r"\b(?:go|goes|went|going|gone) (?:their|our|his|her) separate ways\b|"
    r"\b(?:end|ends|ended|ending|wind|winds|wound) up (?:together|alone|apart|single|married|divorced)\b|"
    r"\b(?:stay|stays|stayed|staying) together\b|\b(?:drift|drifts|drifted|grow|grows|grew|grown) apart\b|"
    r"\b(?:fall|falls|fell|fallen) out of love\b|\b(?:move|moves|moved|moving) on from (?:him|her|them|each other)\b"),
    re.IGNORECASE,
)
_PRONOUN = compile_pattern(r"\b(?:he|she|they|him|his|her|hers|them|their|himself|herself|themselves)\b", re.IGNORECASE)
# A pronoun is craft talk when a craft word follows it closely ("her performance", "he plays", "they shot
# it on film", "she is terrific", "they've made") — otherwise it narrates. A contracted "have", "had",
# "would" or "will" is one of the words between; "'s" and "'re" are not ("he's shot" is an event).
_PRONOUN_CRAFT = compile_pattern(
    r"\b(?:he|she|they|his|her|their)(?:['’](?:ve|d|ll))?\s+(?:\w+\s+){0,2}?(?:performance|performances|acting|turn|portrayal|role|"
    r"roles|work|direction|directing|directs|directed|camera|script|screenplay|writing|wrote|writes|score|music|"
    r"plays|played|playing|gives|gave|delivers|delivered|brings|nails|sells|carries|commands|lends|shoots|shot|"
    r"frames|films|filmed|stages|staged|makes|made|manages|handles|crafts|crafted|career|best|debut|"
    r"talent|presence|chops|range|delivery|film|movie|vision|style|eye)\b",
    re.IGNORECASE,
)
_VERDICT = compile_pattern(
    r"\b\d{1,3}(?:[.,]\d+)?\s*(?:/|out of)\s*(?:5|10|100|five|ten)\b|"
    r"\b(?:\d|one|two|three|four|five)(?:\.5)?\s+stars?\b|"
    r"\b(?:recommend\w*|must[- ]see|worth (?:it|seeing|watching|a watch|your time)|skip it|see it|watch it|"
    r"masterpiece|classic|favou?rite|overrated|underrated|disappoint\w*|highly|essential)\b",
    re.IGNORECASE,
)
# How watching it felt, and opinion verbs ("reviewers single out the lead"): opinion anchors too.
_EXPERIENCE = compile_pattern(
    r"\b(?:frighten\w*|terrif(?:y|ying|ied)|scar(?:y|ier|iest)|sad|sadder|moving|unsettl\w*|eerie|disturbing|"
    r"affecting|harrowing|heartbreaking|heartfelt|tense|gripping|fun|funny|hilarious|beautiful|bleak|grim|"
    r"absorbing|engrossing|entertaining|thought-provoking|memorable|forgettable|unforgettable|"
    r"(?:single|singles|singled) out|prais\w*|admir\w*|commend\w*|applaud\w*|highlight\w*|criticis\w*|"
    r"criticiz\w*|complain\w*|fault\w*|enjoy\w*|lov(?:e|es|ed)|lik(?:e|es|ed)|dislik\w*|hat(?:e|es|ed)|"
    r"incredibl[ey]|exhilarat\w*|breathless\w*|thrill\w*|amaz\w*|astonish\w*|astound\w*|stunn\w*|"
    r"mesmeri[sz]\w*|captivat\w*|riveting|compelling|deft\w*|insightful|imaginative|unimaginative|clever\w*|"
    r"smart|intelligent|ambitious|inventive|original|derivative|predictable|clich\w*|tedious|boring|bored|"
    r"dull|overlong|bloated|over-?sold|over-?hyped|overblown|pretentious|shallow|hollow|powerful|"
    r"haunting|devastating|exciting|excited|scared (?:me|us)|scares (?:me|us)|freaked|creepy|chilling|"
    r"realistic|convincing|unconvincing|believable|unbelievable|well[- ]made|deserves? (?:special |every |all )?"
    r"(?:recognition|praise|credit|awards?|an oscar|the oscar|attention)|has (?:style|depth|heart|soul)|"
    r"continues? to (?:amaze|impress|hold up)|holds? up|rewatchable|worth (?:seeing|watching|it))\b",
    re.IGNORECASE,
)
_CRAFT_TOPICS = frozenset({"acting", "direction", "look", "sound", "pacing", "writing", "mood", "verdict"})
_OWN_ASPECT = 2.0  # weight of a clause's own aspect cue ("the editing", not "it")
# After an author's "spoilers ahead" a sentence is read as plot unless it is plainly about the film as a
# made thing: every noun phrase it opens with a determiner lands on a craft or film noun, and it is short.
_FILM_NOUN = (
    r"(?:film|films|movie|movies|picture|plot|story|script|screenplay|writing|dialogue|dialog|acting|cast|"
    r"performances?|score|music|soundtrack|sound|sound design|camera|camerawork|cinematography|photography|"
    r"visuals|effects|editing|edit|pacing|direction|director|tone|mood|runtime|premise|concept|structure|"
    r"characters|characterization|characterisation|shots|images|imagery|colou?rs?|colou?r part|production|"
    r"design|sets|costumes|humou?r|jokes|theatre|theater|cinema|screen|audience|viewer|experience|rest|"
    r"whole thing|craft|filmmaking|technique|style|look|lighting|framing|cuts|runtime|length|hype|genre|"
    r"narrative|narration|storytelling|suspense|pace|tension|atmosphere|world-building|worldbuilding)"
)
_ABOUT_FILM_OR_VIEWER = compile_pattern(
    rf"\b(?:it|it's|its|this|watch|viewing|i|i'm|i've|i'd|me|my|we|us|you|your|{_FILM_NOUN})\b", re.IGNORECASE
)
_DETERMINED = compile_pattern(r"\b(?:the|this|its|his|her|their|our)\s+", re.IGNORECASE)
_DETERMINED_FILM = compile_pattern(rf"(?:[\w'’-]+\s+){{0,2}}?{_FILM_NOUN}\b", re.IGNORECASE)
_WARNED_MAX_WORDS = 30
_LATE = compile_pattern(lexicon.cues(
    r"\b(?:final|finally|last|lastly|end|ends|ending|endings|climax\w*|finale|conclu\w+|twists?|reveals?|"
    r"revelation|resolution|death|dies|died|dead|kill\w*|fate)\b"),
    re.IGNORECASE,
)


# --- Classes of plot language that fail closed on their own, whatever the names (tests/bot/spoilers). ---
# Something done to someone or something, in the passive: "the town is flooded", "the dog is put down",
# "the team is wiped out". A participle about the film as made ("is beautifully shot", "was overrated")
# or about the viewer ("I was moved", "you are left wondering") is no event.
_CRAFT_PARTICIPLES = frozenset(
    """
    acted shot filmed directed written edited scored lit framed staged paced designed cast played performed
    made crafted produced done rated overrated underrated based set titled called named released nominated
    praised criticised criticized loved hated adored liked disliked admired applauded panned considered
    regarded seen viewed watched remembered forgotten known recognised recognized told structured plotted
    constructed built drawn rendered animated voiced sung composed arranged mixed recorded photographed
    choreographed conceived executed realised realized handled balanced layered grounded anchored
    dominated carried elevated undercut undermined hampered marred let bogged weighed dragged stretched
    padded overstuffed overlong bloated rushed cluttered muddled confused confusing intended meant supposed
    used needed required expected interested involved invested hooked engaged entertained convinced
    sold impressed surprised disappointed amazed stunned bored tired moved touched pleased annoyed
    frustrated terrified scared horrified shocked spooked unnerved rattled blown struck taken gripped
    captivated mesmerised mesmerized enthralled transfixed floored wowed charmed delighted thrilled
    exhausted drained satisfied dissatisfied excited worried concerned reminded inspired influenced
    compared contrasted paired matched aimed targeted marketed advertised sold billed pitched dubbed
    subtitled restored remastered cut extended trimmed screened shown projected presented included
    reviewed labelled labeled described summed summarised summarized explained explored examined
    addressed handled treated approached depicted portrayed represented shown presented dedicated
    destined poised worth adapted utilized utilised rewarded overlooked overstated woven covered lensed
    understated overstated missed mentioned limited replicated copied imitated referenced quoted parodied
    """.split()
)
_VIEWER = frozenset({"i", "we", "you", "one", "viewers", "audiences", "audience"})  # bare words: "I'm" is "i"
_PASSIVE = compile_pattern(lexicon.cues(
    r"\b(?P<subject>[\w'’-]+)\s+(?:is|are|was|were|gets?|got|gotten|been|being|becomes?|became)\s+"
    r"(?:(?:\w+ly|not|never|finally|eventually|later|soon|then|all|also|both|almost|nearly|just)\s+){0,2}"
    r"(?P<verb>[a-z]+(?:ed|en)|put|left|sent|hit|cut|shot|thrown|torn|bound|caught|held|kept|led|lost|met|"
    r"slain|split|stuck|struck|swept|told|won|born|fed|hung|spun|dealt|beat|bled|bitten|run|overrun|"
    r"overthrown|overtaken)\b(?P<particle>\s+(?:down|out|away|behind|off|up|over|alive|apart|to death))?"),
    re.IGNORECASE,
)
_NOT_PARTICIPLE = frozenset(
    """
    even often open seven eleven heaven garden golden wooden hidden sudden kitchen chicken children
    women men oxygen citizen often listen happen linen ten then when seen given taken been often screen
    green queen between keen teen eaten beaten proven broken spoken chosen frozen woken
    red bed need speed seed feed weed indeed bleed breed greed shed led wed fed
    """.split()
) - {"beaten", "broken", "frozen", "taken", "chosen", "eaten", "bitten", "fed", "led", "wed", "shed"}
# A happening told in the active voice. Hard verbs are plot whoever does them ("the pilot crashes the
# plane", "the friends turn on each other"); soft ones only when the doer is no film, craft or viewer
# ("the film manages to be funny" is an opinion, "the girl manages to escape" is not).
_EVENT_HARD = compile_pattern(lexicon.cues(
    r"\b(?:goes|went|gone|going) (?:down|under|overboard|up in flames|rogue|missing)\b|"
    r"\b(?:blows?|blew|blown) (?:up|away (?:his|her|their|the))|\b(?:burns?|burned|burnt) (?:down|to death|alive)|"
    r"\b(?:tears?|tore|torn) apart|\bbreaks? (?:free|out of|into)|\bbroke (?:free|out of|into)|"
    r"\b(?:wakes?|woke) up (?:in|to|as|from)|\b(?:runs?|ran) (?:away|off with)|\blocks? (?:him|her|them) (?:up|away)|"
    r"\b(?:hunts?|hunted|tracks?|tracked) (?:\w+ )?down|\b(?:wipes?|wiped) out|"
    r"\b(?:turns?|turned) on (?:each other|one another|him|her|them|his|their)|"
    r"\b(?:gives?|gave) (?:up (?:on|his|her|their)|in to)|"
    r"\b(?:kidnaps?|kidnapped|steals?|stole|stolen|crash(?:es|ed)|sinks|sank|sunk|dumps|"
    r"dumped|cheats on|cheated on|seduces?|seduced|sleeps with|slept with|proposes to|proposed to|murders|"
    r"shoots (?:him|her|them|at)|stabs?|strangles?|poisons|drowns|buries|buried|(?:falls?|fell) (?:to (?:his|her|"
    r"their) death|from|off|into)|fallen (?:in love|for)|figures? out|figured out|works? out that|"
    r"uncovers?|uncovered|stumbles? (?:on|upon|across)|fakes (?:his|her|their)|faked (?:his|her|"
    r"their)|lies to|lied to|reunites?|reunited|reconciles?|reconciled|forgives?|forgave|avenges?|avenged|"
    r"gives birth|gave birth|passes away|passed away|passes on|passed on|confronts?|confronted)\b"),
    re.IGNORECASE,
)
_EVENT_SOFT = compile_pattern(lexicon.cues(
    r"\b(?P<verb>decides?|decided|chooses|chose|refuses?|refused|agrees?|agreed|chases?|chased|learns?|learned|"
    r"learnt|discovers?|discovered|realises|realizes|realised|realized|catches|caught|leaves|quits|joins|"
    r"joined|hires|hired|saves|rescues|escapes|flees|fled|returns (?:to|home|from)|returned (?:to|home|from)|"
    r"arrives|arrived|gets (?:to|back|home|out|away|caught|killed|shot|hurt|married|pregnant|stuck|trapped|"
    r"revenge)|got (?:back|home|out|away|caught|killed|shot|hurt|married|pregnant|stuck|trapped|revenge)|"
    r"manages? to|managed to|tries to|tried to|attempts? to|attempted to|meets|met (?:his|her|their)|"
    r"kisses|kissed|marries|divorces?|divorced|abandons|abandoned)\b"),
    re.IGNORECASE,
)
# Death and fate idioms: "meets his end", "bites the dust", "breathes her last", "is no more".
_FATE = compile_pattern(lexicon.cues(
    r"\b(?:meets? (?:his|her|their|its|a|an) (?:\w+ )?(?:end|maker|fate|match|doom)|met (?:his|her|their|its|a|an) "
    r"(?:\w+ )?(?:end|maker|fate|match|doom)|bites? the dust|bit the dust|kicks? the bucket|kicked the bucket|"
    r"breathes? (?:his|her|their) last|breathed (?:his|her|their) last|last breath|final breath|"
    r"(?:is|are|was|were) no more|no longer (?:alive|with us|around|breathing)|loses? (?:his|her|their) lives?|"
    r"lost (?:his|her|their) lives?|takes? (?:his|her|their) (?:own )?lives?|took (?:his|her|their) (?:own )?lives?|"
    r"lay(?:s|ing)? (?:him|her|them) to rest|laid to rest|(?:his|her|their) (?:end|demise|passing|undoing|"
    r"downfall|sacrifice|last stand|final moments|fate)|sealed|doomed|numbered days|days are numbered|"
    r"does ?n[o’']t (?:make it|survive|come back|return|get out)|did ?n[o’']t (?:make it|survive|come back|"
    r"return|get out)|never (?:makes it|made it|comes back|came back|returns|returned|wakes up|woke up|"
    r"recovers|recovered|sees? (?:him|her|them) again)|out of the picture|gone for good|for good)\b"),
    re.IGNORECASE,
)
# What the story was all along: "it was all a dream", "this is a game", "the whole thing is a test".
_CONCEIT = compile_pattern(lexicon.cues(
    r"\b(?:it|this|that|everything|all of (?:it|this)|the whole thing|the (?:whole|entire) (?:story|plot|film|"
    r"movie|thing))\s+(?:was|is|had been|has been|were|turns out to be|becomes)\s+(?:\w+\s+){0,2}?"
    r"(?:a |an |one |just a |only a )?(?:dream|nightmare|simulation|lie|hoax|game|illusion|set-?up|test|"
    r"experiment|fantasy|delusion|trick|con|scam|ruse|fiction|fabrication|hallucination|memory|story he|"
    r"story she|coma|afterlife|purgatory|heaven|hell)(?![-\w])|\ball (?:just |only )?(?:a |in )(?:dream|"
    r"game|lie|test|simulation|his head|her head|their heads)\b"),
    re.IGNORECASE,
)
# People of the story named by their place in it: "Jimmy's girlfriend", "the conductor", "the drummer".
_ROLE_POSSESSED = compile_pattern(lexicon.cues(
    r"\b[\w-]+['’]s\s+(?:\w+\s+)?(?:wife|husband|son|daughter|father|mother|dad|mom|mum|brother|sister|"
    r"parents?|family|child|children|kids?|girlfriend|boyfriend|lover|partner|fianc\w*|boss|killer|"
    r"murderer|friend|best friend|twin|baby|widow|ex|uncle|aunt|cousin|nephew|niece|grandmother|grandfather|"
    r"villain|hero|heroine|victim|monster|creature|ghost|stalker|psychopath|psycho|slasher|madman|"
    r"serial killer)(?:s|es)?\b"),
    re.IGNORECASE,
)
_AGENT = compile_pattern(lexicon.cues(r"\b(?i:the|his|her|their)\s+(?:[a-z][\w-]*\s+)?(?P<noun>[a-z]+(?:er|or))s?\b"))
_NOT_AGENT = frozenset(
    """
    director actor writer composer editor filmmaker producer viewer reader watcher cinematographer screenwriter
    auteur author creator critic reviewer blogger audience spectator moviegoer filmgoer
    performer player singer dancer designer animator photographer operator artist scientist novelist
    storyteller lecturer manner matter other water power number order center centre corner paper
    summer winter colour color horror terror error mirror honor honour humor humour character chapter letter
    later latter rather either neither whether together another over under after ever never however
    better bitter butter sooner longer shorter bigger smaller greater lesser faster slower stronger weaker
    harder softer darker lighter older younger deeper wider higher lower closer further former
    factor sector vector motor tenor tremor rigor rigour vigor vigour flavor flavour behavior behaviour
    favor favour labor labour armor armour anchor mentor tutor minor major interior exterior superior
    inferior mirror terror horror meteor monitor elevator escalator projector theater theatre poster
    trailer teaser thriller blockbuster banger stunner chiller shocker spoiler filler debater disaster
    register master monster genre cancer laser computer cover layer prayer answer danger anger finger
    manner banner dinner silver river fever ever december november october september
    remainder wonder thunder border sister brother mother father daughter career shoulder feather
    leather weather ladder chamber timber amber cellar collar dollar pillar powder ledger ginger hunger temper
    newspaper clover flower tower shower tiger burger sugar lever sweater slipper wrapper blender folder
    holder trigger dagger hammer drawer container printer heater counter encounter quarter laughter
    slaughter daughter disorder supper copper pepper proper upper litter glitter twitter bumper chapter
    character flicker sticker ticker poker screener streamer broadcaster distributor publisher server
    browser filter sampler speaker headliner crowd-pleaser tearjerker page-turner nail-biter potboiler
    slasher sleeper stinker clunker howler dinner supper number barometer thermometer odometer calendar
    historian comedian guardian median civilian musician physician technician magician vegetarian
    politician librarian pedestrian barbarian veteran
    moment element argument instrument document experiment comment present current event content intent
    extent talent agent patient client student resident president parent accent percent segment
    fragment sentiment statement treatment movement management development environment entertainment
    achievement assignment commitment disappointment engagement excitement judgement judgment payment
    settlement amusement astonishment bewilderment embarrassment encouragement enjoyment establishment
    improvement investment involvement punishment replacement requirement retirement
    elephant restaurant servant giant tenant merchant assistant constant instant distant brilliant
    elegant arrogant relevant important significant pleasant vibrant abundant redundant
    list mist fist twist gist wrist tourist artist cyclist
    """.split()
)
_AGENT_STEMS = ("kill", "murder", "conduct", "drum", "stalk", "hunt", "rob", "steal", "kidnap", "betray",
                "survive", "surviv", "invade", "invad", "intrud", "strang", "prison", "captor", "warden",
                "preacher", "dancer")


def _agent_reasons(text: str, names: FilmNames) -> list[str]:
    """A person of the story called by what they do ("the conductor", "the drummer", "the stranger"):
    an -er/-or/-ist/-ian noun after a determiner that is no craft role, no viewer and no common thing.
    Unknown agent nouns are read as characters (fail closed)."""
    for m in _AGENT.finditer(text):
        noun = m.group("noun").lower()
        if noun in _NOT_AGENT or noun in names.people or noun.endswith(("ever", "ther", "nter")) or len(noun) < 5:
            continue
        if noun.endswith(("er", "or")) and not is_common_word(noun[:-2]) and not is_common_word(noun[:-3]) \
                and not is_common_word(noun[:-1]) and not noun.startswith(_AGENT_STEMS):
            continue  # no verb under it: a thing ("the chapter", "the poster"), not a doer
        return [f"role:{m.group(0).lower()}"]
    return []


def _passive_reasons(text: str) -> list[str]:
    for m in _PASSIVE.finditer(text):
        verb = m.group("verb").lower()
        subject = bare_word(m.group("subject")).lower()  # "I've been moved": the viewer
        if verb in _CRAFT_PARTICIPLES or verb in _NOT_PARTICIPLE or subject in _VIEWER or subject == "not":
            continue
        if (subject in _ABOUT_FILM_WORDS or _FILM_WORD.fullmatch(subject)) and not m.group("particle"):
            continue  # the film itself, in the passive: how it is made or received
        if sentiment(verb):
            continue  # an evaluative participle: "is dated", "is underdeveloped", "is inspired"
        if not verb.endswith(("ed", "en")) or is_common_word(verb):
            return [f"happening:{m.group(0).lower()}"]
    return []


_ABOUT_FILM_WORDS = frozenset({"it", "this", "that", "which", "what", "everything", "nothing", "all", "much"})
_FILM_WORD = compile_pattern(_FILM_NOUN, re.IGNORECASE)
_CRAFT_NOUN = compile_pattern(
    r"(?:cinematography|screenplay|soundtrack|score|direction|director|directing|editing|acting|performances?|"
    r"visuals|camerawork|production design|sound design|pacing|dialogue|writing)", re.IGNORECASE,
)
_DOER = compile_pattern(r"([\w'’-]+)\s+(?:(?:\w+ly|also|then|finally|eventually|soon|still|never|just)\s+)?$")


def _event_reasons(text: str, names: FilmNames) -> list[str]:
    hard = _EVENT_HARD.search(text)
    if hard:
        return [f"event:{hard.group(0).lower()}"]
    for m in _EVENT_SOFT.finditer(text):
        doer = _DOER.search(text, 0, m.start())
        who = bare_word(doer.group(1).strip("'’")).lower() if doer else ""
        if who in _VIEWER or who in _ABOUT_FILM_WORDS or _FILM_WORD.fullmatch(who) or who in names.people:
            continue
        return [f"event:{m.group(0).lower()}"]
    return []


def _words(text: str) -> list[str]:
    return [w.strip("'’-") for w in _WORD.findall(text)]


def _name_reasons(text: str, names: FilmNames) -> list[str]:
    """Character names, and capitalised mid-sentence words that are no known person: fail closed."""
    reasons: list[str] = []
    for match in _WORD.finditer(text):
        word = bare_word(match.group(0))
        key = word.lower()
        if _CRAFT_NOUN.fullmatch(key):
            continue  # "Beautiful Cinematography.", "a dramatic Director": a craft, capitalised, no one
        if key in names.characters:
            reasons.append(f"character:{word}")
            continue
        if (
            not word[:1].isupper() or key in names.people or key in NOT_NAMES or key in lexicon.STOPWORDS
            or len(key) < 2 or (word.isupper() and len(word) <= 4)
        ):
            continue
        # Opening a sentence, a capital says nothing unless the word is no English word.
        if not is_sentence_start(text, match.start()) or not is_common_word(key):
            reasons.append(f"unknown_name:{word}")
    return reasons


@lru_cache(maxsize=65_536)
def _cue_reasons(text: str) -> tuple[str, ...]:
    """The film-independent signs of plot (cached: the same sentences are judged for every summary)."""
    reasons: list[str] = []
    for label, pattern in (
        ("death", lexicon.DEATH), ("twist", lexicon.TWIST), ("ending", lexicon.ENDING),
        ("event", lexicon.LATE_PLOT), ("outcome", _OUTCOME), ("structure", _STRUCTURE),
        ("identity", _IDENTITY), ("role", _ROLE), ("fate", _FATE), ("conceit", _CONCEIT),
        ("role", _ROLE_POSSESSED), ("relationship", _RELATIONSHIP),
    ):
        hit = pattern.search(text)
        if hit:
            reasons.append(f"{label}:{hit.group(0).lower()}")
    return (*reasons, *_passive_reasons(text))


_CRAFT_PERSON = compile_pattern(
    r"\b(?:director|screenwriter|writer|filmmaker|film-maker|actor|actress|composer|cinematographer|auteur|"
    r"co-star|editor|producer|performer|writer-director)\b",
    re.IGNORECASE,
)
_PLURAL_PRONOUNS = frozenset({"they", "them", "their", "themselves"})
_FILM_PLURAL = compile_pattern(
    r"\b(?:films|movies|pictures|themes|scenes|shots|sequences|symbols|allegories|metaphors|tropes|images|"
    r"effects|performances|actors|actresses|filmmakers|directors|writers|critics|reviewers|audiences|viewers|"
    r"people|fans|studios|songs|jokes|ideas|questions|genres|sets|visuals|stories|books|novels|episodes|"
    r"sequels|horror films|cinemas|theaters|theatres|memories)\b",
    re.IGNORECASE,
)


# Craft idioms that share words with outcomes: masked before the cue patterns read a sentence.
_CRAFT_IDIOM = compile_pattern(
    r"\b(?:wins?|won|winning)\s+(?:an?|the|two|three|four|five|several|many|multiple|\d+)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:awards?|oscars?|prizes?|globes?|emmys?|baftas?|palme|academy awards?|nominations?)\b"
    r"|\b(?:becomes?|became|become|becoming)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+)?(?:classic|standard|"
    r"favou?rite|staple|benchmark|masterpiece|hit|phenomenon|touchstone|template)\b"
    r"|\b(?:fails?|failed|failing)\s+to\s+(?:live up|deliver|engage|connect|land|earn|justify|impress|hold|sustain|"
    r"convince|excite|move|grip|scare|entertain|find its|make (?:an?|any) (?:impact|impression))\b"
    r"|\b(?:loses?|lost|losing)\s+(?:its|their)\s+(?:way|steam|momentum|footing|focus|grip|nerve|edge|charm|"
    r"thread|bite|spark)\b"
    r"|\b(?:revenge|slasher|horror|heist|war|crime|monster|zombie|disaster|action|superhero|spy|murder|"
    r"mystery|survival|prison|escape|rescue)[- ](?:films?|movies?|genre|thrillers?|pictures?|flicks?|"
    r"dramas?|subgenre|tropes?|stories|tales?|fare|classics?|cinema)\b",
    re.IGNORECASE,
)


def _masked(text: str, names: FilmNames) -> str:
    """The text the cue patterns read: the film's own title ("Get Out", "Oldboy") and craft idioms
    ("won an Oscar", "a revenge film") replaced by neutral words, so they are no event."""
    for title in names.titles:
        if len(title) >= 3:
            # Not "the film": a title can be a character too ("Logan escapes"), and the film as doer
            # would excuse the event; a neutral word keeps the event's other cues working.
            text = re.sub(rf"(?<![\w-]){re.escape(title)}(?![\w-])", "Titleword", text)
    return _CRAFT_IDIOM.sub("film", text)


def plot_reasons(text: str, names: FilmNames) -> list[str]:
    """Every sign of plot content in a sentence (empty: none found)."""
    cues = _masked(text, names)
    reasons = [*_name_reasons(text, names), *_cue_reasons(cues), *_event_reasons(cues, names),
               *_agent_reasons(cues, names)]
    pronouns = list(_PRONOUN.finditer(text))
    if pronouns:
        covered = [m.span() for m in _PRONOUN_CRAFT.finditer(text)]
        # After a person of the craft is named ("Pitt overacts, but he is young", "the director … he"),
        # a singular pronoun is them; after a plural thing of the film ("the themes … them", "horror
        # films … they"), a plural one is that.
        person = next((m.end() for m in _WORD.finditer(text) if m.group(0)[:1].isupper()
                       and bare_word(m.group(0)).lower() in names.people), len(text))
        crafter = _CRAFT_PERSON.search(text)
        person = min(person, crafter.end() if crafter else len(text))
        things = _FILM_PLURAL.search(text)
        plural_from = things.end() if things else len(text)
        loose = [
            p for p in pronouns
            if not any(a <= p.start() < b for a, b in covered)
            and p.start() < (min(plural_from, person) if p.group(0).lower() in _PLURAL_PRONOUNS else person)
        ]
        if loose:
            reasons.append(f"narration:{loose[0].group(0).lower()}")
    return reasons


def _craft_only(text: str, names: FilmNames) -> bool:
    """A short opinion naming a craft aspect or giving a verdict, whose every determined noun phrase
    ("the plot", "this movie", "the colour part") is about the film as a made thing."""
    if len(text.split()) > _WARNED_MAX_WORDS or is_about_the_review(text) or _LATE.search(text):
        return False
    if not any(r.startswith("aspect:") or r == "verdict" for r in opinion_reasons(text)):
        return False
    return all(_DETERMINED_FILM.match(text, m.end()) or _credited(text, m.end(), names)
               for m in _DETERMINED.finditer(text))


def _credited(text: str, at: int, names: FilmNames) -> bool:
    """The determined phrase at `at` is the film's title or a credited person ("the Joker" in a review of
    *Joker*), or "this one" (the film)."""
    if re.match(r"one\b", text[at:], re.IGNORECASE) and text[max(0, at - 5) : at].lower().startswith("this"):
        return True
    word = _WORD.match(text, at)
    return bool(word and word.group(0)[:1].isupper()
                and bare_word(word.group(0)).lower() in names.people)


@lru_cache(maxsize=65_536)
def opinion_reasons(text: str) -> tuple[str, ...]:
    """What makes a sentence an opinion about craft or experience (empty: nothing)."""
    reasons = [f"aspect:{t}" for t in topics_of(text) if t in _CRAFT_TOPICS]
    polarity = sentiment(text)
    if not polarity:
        # The summaries' fuller reading (VADER's lexicon with film-review corrections): "interesting",
        # "preachy", "sloppy", "inventive" are opinions too, though not in the detector's short lists.
        # Criticism only with a craft aspect of its own in the clause: most negative words outside the
        # detector's lists are events ("sabotage", "attack", "betrayal"), not judgements.
        # Praise only about the film, the viewer or a named craft: "to create the condition" is no praise.
        scores = [op.score for op in opinions_in(text) if (
            op.aspect in _CRAFT_TOPICS and op.aspect != "verdict" and op.aspect_weight >= _OWN_ASPECT
            and op.aspect_at >= op.start and op.polarity is not None
        ) or (op.polarity == "pos" and _ABOUT_FILM_OR_VIEWER.search(text))]
        polarity = (sum(scores) > 0) - (sum(scores) < 0) if scores else 0
    if polarity:
        reasons.append("praise" if polarity > 0 else "criticism")
    if _VERDICT.search(text):
        reasons.append("verdict")
    if _EXPERIENCE.search(text):
        reasons.append("experience")
    return tuple(reasons)


def classify(
    text: str,
    names: FilmNames | None = None,
    *,
    marked: bool = False,
    warned: bool = False,
    score: float = 0.0,
    threshold: float = 1.0,
) -> Classification:
    """The kind of one sentence in its film's context, with every reason found (for tests and the bench).

    `marked`: its author hid it behind spoiler markup; `warned`: it follows the author's "spoilers
    ahead"; `score`: the detector's stored score, compared with `threshold`.
    """
    detector = f"detector:{score:.2f}" if score >= threshold else ""
    return _classify(text, names or FilmNames(), marked, warned, detector)


@lru_cache(maxsize=65_536)
def _classify(text: str, names: FilmNames, marked: bool, warned: bool, detector: str) -> Classification:
    """`classify`, cached: a film's sentences are judged again for every summary, answer and digest."""
    plain = normalise(text)
    instruction = [f"instruction:{r}" for r in instruction_reasons(plain)]
    smuggled = unsafe_reason(plain)
    if instruction or smuggled:
        return Classification(Kind.INSTRUCTION, (*instruction, *([f"smuggled:{smuggled}"] if smuggled else [])))
    reasons: list[str] = []
    if marked:
        reasons.append("author_markup")
    if warned:
        reasons.append("after_warning")
    if detector:
        reasons.append(detector)
    plot = plot_reasons(plain, names)
    reasons += plot
    if warned and not marked and not plot and _craft_only(plain, names):
        # After a warning the detector's score is raised by the warning itself: a plainly craft-only
        # verdict ("I would give this movie a 4/5", "the pacing drags") is let through, nothing else.
        return Classification(Kind.SAFE, (*opinion_reasons(plain), "craft_only_after_warning"))
    if reasons:
        return Classification(Kind.PLOT, tuple(reasons))
    if is_about_the_review(plain):
        # Only here, after every plot reason: a warning or markup note that also tells the story stays plot.
        return Classification(Kind.NEITHER, ("about_the_review",))
    opinion = opinion_reasons(plain)
    if not opinion:
        return Classification(Kind.NEITHER, ("no_opinion",))
    return Classification(Kind.SAFE, opinion)


# --- Clause level: a safe opinion inside a sentence rejected for another part of it. ---
# Where a sentence parts into clauses: punctuation, and the conjunctions and relative words that open a
# clause of their own ("…, and the score soars", "… while the plot drags", "…, which …").
_CLAUSE_BREAK = compile_pattern(
    r"\s*(?:[,;:()\[\]…]|—|–|\s-\s|\.\.\.)\s*|"
    r"\s+(?=(?:and|but|yet|while|whilst|whereas|although|though|because|since|which|who|whom|whose|where|"
    r"when|whenever|until|after|before|once|if|unless|so|as|plus|or|nor|then)\b)",
    re.IGNORECASE,
)
_CLAUSE_MIN_WORDS = 3
# Reasons that condemn a whole sentence, whatever its other clauses say: a death, a twist, the ending,
# a fate, an identity or a relationship revealed, the film's conceit, the author's own markup or
# warning, the detector's verdict. A sentence that has one is never quoted, not even in part.
# So does narration anywhere in it (a pronoun doing things, an event, an outcome, something done to
# someone): the clause beside it is then part of telling the story ("the camera work is great: it's
# from <name>'s point of view as he …").
_WHOLE_SENTENCE = ("death:", "twist:", "ending:", "fate:", "identity:", "conceit:", "relationship:",
                   "detector:", "author_markup", "after_warning", "instruction:", "smuggled:",
                   "narration:", "event:", "happening:", "outcome:")
# A clause whose subject stands outside it ("…, who takes the role of …", "…, showing my favourite
# part") says something about whatever the clause before it names: never read alone.
_DEPENDENT = compile_pattern(r"^(?:who|whom|whose|which|where|when|whenever|[a-z]+ing)\b", re.IGNORECASE)


def clauses(text: str) -> list[tuple[int, int]]:
    """The clauses of a sentence as (start, end) spans of `text`, trimmed of spaces: split at commas,
    semicolons, colons, dashes, parentheses and before a conjunction or relative word."""
    spans: list[tuple[int, int]] = []
    at = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > at:
            spans.append((at, m.start()))
        at = max(at, m.end())
    if at < len(text):
        spans.append((at, len(text)))
    out = []
    for a, b in spans:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if b > a:
            out.append((a, b))
    return out


def safe_clauses(
    text: str,
    names: FilmNames | None = None,
    *,
    marked: bool = False,
    warned: bool = False,
    score: float = 0.0,
    threshold: float = 1.0,
) -> tuple[str, ...]:
    """The clauses of a `plot` sentence that may be quoted on their own in spoiler-free text (empty: none).

    Fail closed: a sentence with a hard plot cue anywhere (death, twist, ending, fate, identity, a
    relationship, the conceit), marked or warned by its author, or at the detector's threshold gives
    nothing; a clause is quoted only when it alone is `safe` under the full allow-list (so it names no
    character and narrates nothing) and is at least three words. A safe sentence is quoted whole
    (not here); a quote never crosses a clause boundary.
    """
    detector = f"detector:{score:.2f}" if score >= threshold else ""
    return _safe_clauses(text, names or FilmNames(), marked, warned, detector)


@lru_cache(maxsize=65_536)
def _safe_clauses(text: str, names: FilmNames, marked: bool, warned: bool, detector: str) -> tuple[str, ...]:
    whole = _classify(text, names, marked, warned, detector)
    if whole.kind is not Kind.PLOT or any(r.startswith(_WHOLE_SENTENCE) for r in whole.reasons):
        return ()
    if lexicon.LATE_PLOT.search(text) or _LATE.search(text):
        return ()  # late-story words anywhere ("finally", "the reveal"): the whole sentence stays out
    covered = [m.span() for m in _PRONOUN_CRAFT.finditer(text)]
    if any(not any(a <= p.start() < b for a, b in covered) for p in _PRONOUN.finditer(text)):
        # A pronoun that is not about craft ("as he runs to the boat"), even after a name the reviews
        # also use for a person: the sentence may be telling the story, so none of it is quoted.
        return ()
    out: list[str] = []
    for a, b in clauses(text):
        clause = text[a:b]
        if len(clause.split()) < _CLAUSE_MIN_WORDS or _DEPENDENT.match(clause):
            continue
        if _classify(clause, names, False, False, "").kind is Kind.SAFE:
            out.append(clause)
    return tuple(out)


@dataclass(slots=True)
class AllowList:
    """`classify` for one film's stored sentences: its names, its threshold, and which sentences of
    each review follow the author's spoiler warning. Build one per request with `for_film`."""

    names: FilmNames
    threshold: float
    warned: frozenset[tuple[int, int]] = frozenset()  # (review id, sentence idx)
    _cache: dict[tuple[int, int], Classification] = field(default_factory=dict)

    @classmethod
    def for_film(cls, film: Film | None, reviews: Sequence[Review], *, threshold: float) -> AllowList:
        warned: set[tuple[int, int]] = set()
        for review in reviews:
            if "spoil" not in review.text.lower():
                continue  # no warning to find: skip the (slow) markup-aware split
            for span in split_review(review.text):
                if span.warned or span.is_warning:
                    warned.add((review.id, span.idx))
        return cls(film_names(film, [r.text for r in reviews]), threshold, frozenset(warned))

    @classmethod
    def for_texts(cls, film: Film | None, texts: Iterable[str], *, threshold: float) -> AllowList:
        """For sentences met without their reviews (search hits): names inferred from `texts`."""
        return cls(film_names(film, texts), threshold)

    def classify(self, review_id: int, sentence: Sentence) -> Classification:
        key = (review_id, sentence.idx)
        found = self._cache.get(key)
        if found is None:
            found = classify(
                sentence.text, self.names, marked=sentence.author_marked, warned=key in self.warned,
                score=sentence.spoiler_score, threshold=self.threshold,
            )
            self._cache[key] = found
        return found

    def is_safe(self, review_id: int, sentence: Sentence) -> bool:
        """May this sentence appear in spoiler-free text?"""
        return self.classify(review_id, sentence).safe

    def classify_text(self, text: str) -> Classification:
        """A sentence that is not a stored review sentence (a digest's, a model's)."""
        return classify(text, self.names, threshold=self.threshold)

    def safe_clauses(self, review_id: int, sentence: Sentence) -> tuple[str, ...]:
        """The clauses of a rejected sentence that may be quoted alone (see `safe_clauses`)."""
        return safe_clauses(
            sentence.text, self.names, marked=sentence.author_marked,
            warned=(review_id, sentence.idx) in self.warned, score=sentence.spoiler_score,
            threshold=self.threshold,
        )

    def safe_sentences(self, review: Review) -> list[Sentence]:
        return [s for s in review.sentences if self.is_safe(review.id, s)]

    def plot_sentences(self, review: Review) -> list[Sentence]:
        """Everything a spoilers-mode text shows hidden: neither safe nor an instruction."""
        return [s for s in review.sentences if self.classify(review.id, s).kind is not Kind.SAFE
                and self.classify(review.id, s).kind is not Kind.INSTRUCTION]
